#include "gateway/proxy_handler.hpp"

#include <variant>

#include "gateway/builtin_endpoints.hpp"
#include "gateway/dispatcher.hpp"
#include "gateway/auth_token.hpp"
#include "gateway/json_response.hpp"
#include "gateway/proxy_exchange.hpp"
#include "gateway/sql_handler.hpp"
#include "router/dispatch.hpp"
#include "router/request_target.hpp"

namespace gateway {

namespace {

/// Why an `auth: required` proxy route refuses a request, the way SQL routes do: no or
/// an invalid token is 401, a token of another tenant than the one named is 403.
std::optional<response> auth_refusal(const request& header, const router::decision& decision,
                                     const runtime_state& state, std::string_view request_id) {
    if (bearer_token(header[http::field::authorization]).empty()) {
        return error_response(401, "unauthorized", "a bearer token is required", request_id);
    }
    if (state.tokens() == nullptr) {
        return error_response(503, "auth_unavailable", "token verification is not configured",
                              request_id);
    }
    const auto token_tenant = verified_token_tenant(header, state);
    if (!token_tenant) {
        return error_response(401, "unauthorized", "the bearer token is invalid or expired",
                              request_id);
    }
    if (decision.tenant.code && *decision.tenant.code != *token_tenant) {
        return error_response(403, "tenant_mismatch", "the token belongs to another tenant",
                              request_id);
    }
    return std::nullopt;
}

}  // namespace

std::optional<proxy_route> proxy_handler::match(const request& header,
                                                std::shared_ptr<const runtime_state> state,
                                                std::string_view request_id) const {
    auto parsed = router::parse_target(header.target());
    const auto* target = std::get_if<router::parsed_target>(&parsed);
    if (target == nullptr) return std::nullopt;
    const std::string_view method = header.method_string();
    if (builtin_response(method, target->path, *state, {})) return std::nullopt;
    const auto decision = decide_request(header, *target, *state, method);
    if (decision.error || decision.match.route == nullptr ||
        decision.match.route->kind != conf::route_kind::proxy) {
        return std::nullopt;
    }
    proxy_route out;
    out.route = decision.match.route;
    if (decision.tenant.code) out.tenant = *decision.tenant.code;
    if (out.route->auth_required) out.refusal = auth_refusal(header, decision, *state, request_id);
    out.state = std::move(state);
    return out;
}

asio::awaitable<bool> proxy_handler::serve(proxy_client client,
                                           http::request_parser<http::string_body>& parser,
                                           proxy_route route, access_entry entry) {
    auto pool = route.state->upstreams().find(route.route->upstream);
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
