#include "gateway/proxy_handler.hpp"

#include <variant>

#include "gateway/builtin_endpoints.hpp"
#include "gateway/json_response.hpp"
#include "gateway/proxy_exchange.hpp"
#include "router/dispatch.hpp"
#include "router/request_target.hpp"

namespace gateway {

namespace {

/// The parts of the request that may name a tenant, as the dispatcher collects them.
router::request_facts collect_facts(const request& req, const router::parsed_target& target,
                                    const conf::config& config) {
    router::request_facts facts;
    facts.target = &target;
    facts.host = req[http::field::host];
    const auto [first, last] = req.equal_range(config.tenant_resolution.header);
    for (auto it = first; it != last; ++it) facts.tenant_headers.push_back(it->value());
    return facts;
}

}  // namespace

void proxy_handler::configure(const conf::config& config, asio::any_io_executor executor) {
    upstreams_.configure(config.upstreams, std::move(executor));
}

std::optional<proxy_route> proxy_handler::match(const request& header,
                                                std::shared_ptr<const runtime_state> state) const {
    auto parsed = router::parse_target(header.target());
    const auto* target = std::get_if<router::parsed_target>(&parsed);
    if (target == nullptr) return std::nullopt;
    const std::string_view method = header.method_string();
    if (builtin_response(method, target->path, *state, {})) return std::nullopt;
    const auto facts = collect_facts(header, *target, state->config());
    const auto decision = router::decide(state->routes(), state->tenants(), method, facts);
    if (decision.error || decision.match.route == nullptr ||
        decision.match.route->kind != conf::route_kind::proxy) {
        return std::nullopt;
    }
    proxy_route out;
    out.route = decision.match.route;
    if (decision.tenant.code) out.tenant = *decision.tenant.code;
    out.state = std::move(state);
    return out;
}

asio::awaitable<bool> proxy_handler::serve(proxy_client client,
                                           http::request_parser<http::string_body>& parser,
                                           proxy_route route, access_entry entry) {
    auto pool = upstreams_.find(route.route->upstream);
    co_return co_await run_exchange(client, parser, std::move(route), std::move(pool),
                                    std::move(entry));
}

asio::awaitable<response> proxy_handler::handle(request_context& ctx) {
    co_return error_response(500, "internal_error", "proxy routes are relayed by the session",
                             ctx.request_id);
}

proxy_handler* find_proxy_handler(const handler_set& handlers) noexcept {
    return dynamic_cast<proxy_handler*>(handlers.find(conf::route_kind::proxy));
}

}  // namespace gateway
