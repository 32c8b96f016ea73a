// Fuzz target: the gateway's decision for one request from raw HTTP bytes. The bytes go
// through Beast's request parser with the gateway's limits and framing checks
// (has_obs_fold, check_framing), then the router: target parsing, tenant resolution
// from every source, route matching and, for SQL routes, parameter binding from the
// path, the query, a JSON body and token claims, `pattern:` constraints (RE2) included.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include "conf/loader.hpp"
#include "gateway/http/request_framing.hpp"
#include "router/dispatch.hpp"
#include "router/param_binding.hpp"
#include "router/request_target.hpp"

namespace {

constexpr std::string_view config_text = R"(
tenant_resolution:
  order: [query, subdomain, header, token]
  query_param: company
  base_domains: [yourapp.com, eu.example.org]
  header: X-Company-Code
routes:
  - methods: [GET, HEAD]
    path: /api/customers
    kind: sql
    sql: SELECT * FROM Customers WHERE Name LIKE @search AND CreatedAt > @since
    params:
      - {name: search, type: string, max_length: 100, default: "%", pattern: "[%A-Za-z0-9 ]*"}
      - {name: code, type: string, pattern: "(a|aa)+b|[0-9]{2,8}-\\p{L}+"}
      - {name: since, type: datetime}
      - {name: active, type: bool, default: "true"}
      - {name: top, type: int, min: 1, max: 500, default: "50"}
  - methods: [GET, PUT, DELETE]
    path: /api/customers/{id}
    kind: sql
    sql: SELECT @id, @user
    params:
      - {name: id, from: path, type: bigint, required: true, min: 1}
      - {name: user, from: claim, key: sub, type: int, required: true}
  - methods: [POST, PATCH]
    path: /api/customers/{id}/notes/{note}
    kind: sql
    sql: SELECT @id, @note, @text, @amount, @blob, @at, @done, @ratio
    params:
      - {name: id, from: path, type: int, required: true, min: -5, max: 99999}
      - {name: note, from: path, type: string, max_length: 12}
      - {name: text, from: body, type: string, required: true, max_length: 200}
      - {name: amount, from: body, type: number, min: -1e6, max: 1e6}
      - {name: blob, from: body, type: binary}
      - {name: at, from: body, key: when, type: datetime, default: "2024-01-01T00:00:00Z"}
      - {name: done, from: body, type: bool}
      - {name: ratio, from: query, type: number, required: true}
  - method: POST
    path: /api/auth/login
    kind: login
    sql: SELECT 1 AS user_id, 'x' AS password_hash WHERE @u = 'a'
    params:
      - {name: u, from: body, key: username, type: string, required: true}
  - methods: ["*"]
    path: /app/*
    kind: echo
    tenant_required: false
  - method: GET
    path: /app/{page}/edit
    kind: echo
)";

/// The gateway's configuration for every run.
const conf::config& fuzz_config() {
    static const conf::config config = conf::load_string(config_text, "fuzz-request.yaml");
    return config;
}

using parser_type = gateway::http::request_parser<gateway::http::string_body>;

/// Feeds `bytes` to `parser` until it stops (header done, message done, or an error);
/// returns the bytes it took.
std::size_t feed(parser_type& parser, std::string_view bytes, gateway::beast::error_code& ec) {
    std::size_t used = 0;
    while (!ec && used < bytes.size() && !parser.is_done()) {
        const auto n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        used += n;
        if (ec == gateway::http::error::need_more) ec = {};
        if (n == 0 || parser.is_done() || (parser.is_header_done() && !parser.eager())) break;
    }
    return used;
}

/// A JSON body as binding inputs, like gateway::body_fields; nullopt: refused with 400.
std::optional<router::input_fields> body_inputs(std::string_view body) {
    router::input_fields out;
    if (body.empty()) return out;
    boost::json::parse_options options;
    options.max_depth = 16;
    boost::system::error_code ec;
    const boost::json::value value = boost::json::parse(body, ec, {}, options);
    if (ec || !value.is_object()) return std::nullopt;
    for (const auto& [key, field] : value.get_object()) {
        switch (field.kind()) {
            case boost::json::kind::null: out.emplace_back(key, router::json_null{}); break;
            case boost::json::kind::bool_: out.emplace_back(key, field.get_bool()); break;
            case boost::json::kind::int64: out.emplace_back(key, field.get_int64()); break;
            case boost::json::kind::uint64:
                out.emplace_back(key, static_cast<double>(field.get_uint64()));
                break;
            case boost::json::kind::double_: out.emplace_back(key, field.get_double()); break;
            case boost::json::kind::string: out.emplace_back(key, std::string(field.get_string())); break;
            default: out.emplace_back(key, router::json_composite{}); break;
        }
    }
    return out;
}

/// Binds the parameters of the chosen SQL route, like the sql handler does.
void bind_route_params(const router::decision& decision, const router::parsed_target& target,
          std::string_view body, std::string_view subject) {
    auto body_fields = body_inputs(body);
    if (!body_fields) return;
    router::binding_inputs inputs;
    for (const auto& [name, value] : decision.match.path_params) {
        inputs.path.emplace_back(name, router::text_input{value});
    }
    for (const auto& [name, value] : target.query) inputs.query.emplace_back(name, router::text_input{value});
    inputs.body = std::move(*body_fields);
    inputs.claims.emplace_back("sub", router::text_input{std::string(subject)});
    (void)router::bind_params(decision.match.route->params, inputs);
}

/// Everything after a complete, well-framed request: the router's decision and binding.
void decide(const gateway::request& req) {
    static const router::route_table routes(fuzz_config().routes);
    static const router::tenant_resolver resolver(fuzz_config().tenant_resolution);
    auto parsed = router::parse_target(req.target());
    const auto* target = std::get_if<router::parsed_target>(&parsed);
    if (target == nullptr) return;
    router::request_facts facts;
    facts.target = target;
    facts.host = req[gateway::http::field::host];
    const auto [first, last] = req.equal_range(fuzz_config().tenant_resolution.header);
    for (auto it = first; it != last; ++it) facts.tenant_headers.push_back(it->value());
    // stands in for a verified token's claims (the fuzzer cannot sign tokens here)
    const std::string_view claim = req["X-Fuzz-Claim"];
    if (!claim.empty()) facts.token_tenant = std::string(claim);
    const auto decision = router::decide(routes, resolver, req.method_string(), facts);
    if (decision.error || decision.match.route->kind == conf::route_kind::echo) return;
    bind_route_params(decision, *target, req.body(), claim);
}

}  // namespace

/// libFuzzer entry point: one input per call.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto& limits = fuzz_config().limits;
    parser_type parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(boost::none);
    parser.eager(false);
    gateway::beast::error_code ec;
    const std::size_t head = feed(parser, bytes, ec);
    if (ec || !parser.is_header_done()) return 0;
    if (gateway::has_obs_fold(bytes.substr(0, head)) || gateway::check_framing(parser.get())) return 0;
    // as gateway::session: the limit is set after the header, so Content-Length is checked here
    parser.body_limit(limits.max_body_bytes);
    if (const auto length = parser.content_length(); length && *length > limits.max_body_bytes) return 0;
    parser.eager(true);
    if (!parser.is_done()) feed(parser, bytes.substr(head), ec);
    if (ec || !parser.is_done()) return 0;
    decide(parser.get());
    return 0;
}
