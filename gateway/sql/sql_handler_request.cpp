#include "gateway/sql/sql_handler_request.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "gateway/http/json_response.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

constexpr std::size_t max_body_depth = 16;

response refused(unsigned status, std::string_view code, std::string_view message,
                 const std::string& request_id) {
    return error_response(status, code, message, request_id);
}

router::input_value json_to_input(const boost::json::value& value) {
    switch (value.kind()) {
        case boost::json::kind::null: return router::json_null{};
        case boost::json::kind::bool_: return value.get_bool();
        case boost::json::kind::int64: return value.get_int64();
        case boost::json::kind::uint64: return static_cast<double>(value.get_uint64());
        case boost::json::kind::double_: return value.get_double();
        case boost::json::kind::string: return std::string(value.get_string());
        default: return router::json_composite{};
    }
}

tds_pool::param_type sql_type(conf::param_type type) {
    switch (type) {
        case conf::param_type::int32: return tds_pool::param_type::int32;
        case conf::param_type::int64: return tds_pool::param_type::int64;
        case conf::param_type::number: return tds_pool::param_type::float64;
        case conf::param_type::boolean: return tds_pool::param_type::boolean;
        case conf::param_type::string: return tds_pool::param_type::string;
        case conf::param_type::datetime: return tds_pool::param_type::datetime;
        case conf::param_type::binary: return tds_pool::param_type::binary;
        case conf::param_type::decimal: return tds_pool::param_type::decimal;
        case conf::param_type::date: return tds_pool::param_type::date;
        case conf::param_type::time: return tds_pool::param_type::time;
        case conf::param_type::datetimeoffset: return tds_pool::param_type::datetimeoffset;
        case conf::param_type::uuid: return tds_pool::param_type::uuid;
    }
    return tds_pool::param_type::string;
}

struct value_converter {
    tds_pool::sql_value operator()(std::monostate) const { return std::monostate{}; }
    tds_pool::sql_value operator()(std::int64_t v) const { return v; }
    tds_pool::sql_value operator()(double v) const { return v; }
    tds_pool::sql_value operator()(bool v) const { return v; }
    tds_pool::sql_value operator()(const std::string& v) const { return v; }
    tds_pool::sql_value operator()(const std::vector<std::uint8_t>& v) const { return v; }
    tds_pool::sql_value operator()(const router::bound_datetime& v) const {
        return tds_pool::sql_datetime{v.year, v.month, v.day, v.hour, v.minute, v.second, v.nanosecond};
    }
};

/// The code and message of a request the tenant's pool could not take.
std::pair<std::string_view, std::string_view> pool_refusal(tds_pool::errc code) {
    switch (code) {
        case tds_pool::errc::pool_timeout: return {"pool_timeout", "no database connection became free in time"};
        case tds_pool::errc::pool_overloaded: return {"pool_overloaded", "too many requests are waiting for this tenant"};
        default: return {"tenant_db_unavailable", "the tenant's pool is shutting down"};
    }
}

/// 503 with Retry-After (seconds, at least 1).
response unavailable(std::string_view code, std::string_view message, std::chrono::milliseconds retry,
                     const std::string& request_id) {
    response res = error_response(503, code, message, request_id);
    set_retry_after(res, retry);
    return res;
}

}  // namespace

namespace {

/// The synchronous first half of open_tenant: the tenant code (the dispatcher already
/// admitted the request and verified its token once).
tenant_access check_request(const request_context& ctx) {
    tenant_access out;
    out.token = ctx.token;
    const auto& named = ctx.decision.tenant.code;
    out.code = named ? *named : (out.token ? out.token->tenant : std::string());
    if (out.code.empty()) {
        out.refusal = refused(400, "tenant_required", "this route needs a company code", ctx.request_id);
    }
    return out;
}

/// The second half: the registry's answer and the tenant's credentials.
void apply_lookup(tenant_backend& backend, const request_context& ctx, const tds_pool::lookup_result& found,
                  tenant_access& out) {
    if (found.status == tds_pool::lookup_status::unavailable) {
        out.refusal = unavailable("registry_unavailable", "the tenant registry cannot be reached",
                                  std::chrono::seconds(5), ctx.request_id);
        return;
    }
    if (found.status == tds_pool::lookup_status::not_found || !found.record->active) {
        out.refusal = refused(404, "tenant_not_found", "unknown company code", ctx.request_id);
        return;
    }
    if (!found.record->problem.empty()) {
        // The row names the reason; it holds no secret (references are not echoed).
        out.refusal = unavailable("tenant_misconfigured",
                                  "the tenant's registry entry cannot be served: " + found.record->problem,
                                  std::chrono::seconds(30), ctx.request_id);
        return;
    }
    auto target = tds_pool::resolve_target(*found.record, backend.registry().config(),
                                           backend.pools().tls_defaults(), backend.secrets());
    if (auto* problem = std::get_if<tds_pool::credential_problem>(&target)) {
        log_error("tenant credentials unavailable",
                  {{"request_id", ctx.request_id}, {"tenant", out.code}, {"error", problem->message}});
        out.refusal = unavailable("tenant_credentials_unavailable",
                                  "the tenant's database credentials are not available",
                                  std::chrono::seconds(30), ctx.request_id);
        return;
    }
    out.target = std::move(std::get<tds_pool::connection_target>(target));
}

}  // namespace

asio::awaitable<tenant_access> open_tenant(tenant_backend* backend, const request_context* ctx) {
    tenant_access out = check_request(*ctx);
    if (!out.refusal) {
        const tds_pool::lookup_result found = co_await backend->registry().find(out.code);
        apply_lookup(*backend, *ctx, found, out);
    }
    co_return out;
}

std::variant<router::input_fields, response> body_fields(const request& req,
                                                         const std::string& request_id) {
    router::input_fields out;
    if (req.body().empty()) return out;
    boost::json::parse_options options;
    options.max_depth = max_body_depth;
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(req.body(), ec, {}, options);
    if (ec || !body.is_object()) {
        return refused(400, "invalid_json", "the body must be a JSON object", request_id);
    }
    for (const auto& [key, value] : body.get_object()) out.emplace_back(std::string(key), json_to_input(value));
    return out;
}

router::input_fields claim_fields(const verified_token& token) {
    router::input_fields out;
    for (const auto& [name, value] : token.claims) out.emplace_back(name, router::text_input{value});
    return out;
}

std::vector<tds_pool::sql_param> to_sql_params(const std::vector<router::bound_param>& bound) {
    std::vector<tds_pool::sql_param> out;
    out.reserve(bound.size());
    for (const auto& p : bound) {
        out.push_back({p.name, sql_type(p.type), std::visit(value_converter{}, p.value)});
    }
    return out;
}

response validation_response(const std::vector<router::field_problem>& problems,
                             const std::string& request_id) {
    boost::json::array details;
    for (const auto& p : problems) details.push_back(boost::json::object{{"field", p.field}, {"problem", p.problem}});
    boost::json::object error{{"code", "validation_failed"},
                              {"message", "some request fields are invalid"},
                              {"requestId", request_id},
                              {"details", std::move(details)}};
    return json_response(http::status::bad_request, boost::json::object{{"error", std::move(error)}});
}

response db_error_response(const tds_pool::db_error& error, const std::string& tenant,
                           const std::string& request_id, const conf::retry_after_config& retry_after) {
    using tds_pool::errc;
    const int number = error.sql ? error.sql->number : 0;
    log_warn("database operation failed", {{"request_id", request_id},
                                           {"tenant", tenant},
                                           {"code", tds_pool::code_name(error.code)},
                                           {"sql_error", number},
                                           {"detail", error.message}});
    switch (error.code) {
        case errc::sql_error:
            if (number == 2627 || number == 2601) {
                return error_response(409, "conflict", "the row already exists", request_id);
            }
            return error_response(502, "sql_error", "the database refused the statement", request_id);
        case errc::tenant_db_unavailable:
            return unavailable("tenant_db_unavailable", "the tenant's database is unavailable",
                               error.retry_after, request_id);
        case errc::tls_required_not_offered:
            return unavailable("tls_required_not_offered",
                               "the tenant's database does not offer the encryption this tenant requires",
                               error.retry_after, request_id);
        case errc::tls_certificate_rejected:
            return unavailable("tls_certificate_rejected",
                               "the tenant database's TLS certificate failed verification",
                               error.retry_after, request_id);
        case errc::tls_handshake_failed:
            return unavailable("tls_handshake_failed",
                               "an encrypted connection to the tenant's database could not be set up",
                               error.retry_after, request_id);
        case errc::pool_timeout:
        case errc::pool_overloaded:
        case errc::pool_closed: {
            const auto [code, message] = pool_refusal(error.code);
            return unavailable(code, message, retry_after.pool_busy, request_id);
        }
        case errc::query_timeout:
            return error_response(504, "query_timeout", "the query took too long", request_id);
        case errc::login_failed:
            return error_response(502, "login_failed", "the tenant's database refused the login", request_id);
        case errc::connection_lost:
            return error_response(502, "connection_lost", "the database connection broke", request_id);
    }
    return error_response(502, "sql_error", "the database operation failed", request_id);
}

std::chrono::steady_clock::time_point db_deadline(const conf::config& config,
                                                  const conf::route_config& route) {
    const auto query = route.query_timeout.value_or(config.pools.query_timeout);
    return std::chrono::steady_clock::now() + config.pools.acquire_timeout + query;
}

}  // namespace gateway
