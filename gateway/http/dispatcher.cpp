#include "gateway/http/dispatcher.hpp"

#include <exception>
#include <variant>

#include "gateway/admin/builtin_endpoints.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/sql/sql_handler.hpp"
#include "router/dispatch.hpp"
#include "router/request_target.hpp"

namespace gateway {

namespace {

/// The parts of the request that may name a tenant; views point into `req`.
router::request_facts collect_facts(const request& req, const router::parsed_target& target,
                                    const conf::config& config) {
    router::request_facts facts;
    facts.target = &target;
    facts.host = req[http::field::host];
    const auto [first, last] = req.equal_range(config.tenant_resolution.header);
    for (auto it = first; it != last; ++it) facts.tenant_headers.push_back(it->value());
    // token_tenant is filled only when no other source names a tenant (see dispatch)
    return facts;
}

/// Runs the handler, turning an escaped exception into a 500 (a bug, logged).
asio::awaitable<response> run_handler(route_handler& handler, request_context& ctx) {
    std::exception_ptr failure;
    try {
        co_return co_await handler.handle(ctx);
    } catch (...) {
        failure = std::current_exception();
    }
    std::string what = "unknown exception";
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    log_error("handler failed", {{"request_id", ctx.request_id}, {"error", what}});
    co_return error_response(500, "internal_error", "the request could not be handled",
                             ctx.request_id);
}

}  // namespace

/// The router's decision; a request that names no tenant itself may be served for its
/// verified token's tenant (when "token" is in tenant_resolution.order).
router::decision decide_request(const request& req, const router::parsed_target& target,
                                const runtime_state& state, std::string_view method) {
    auto facts = collect_facts(req, target, state.config());
    auto decision = router::decide(state.routes(), state.tenants(), method, facts);
    const bool required_but_missing = decision.error && decision.error->code == "tenant_required";
    // A route that does not need a tenant still gets the token's, when the request names
    // none otherwise (a proxied page passes it on in X-Company-Code).
    const bool optional_and_missing = !decision.error && decision.match.route && !decision.tenant.code;
    if (!required_but_missing && !optional_and_missing) return decision;
    // Verified only now: the signature check is the costly part of resolving a tenant.
    facts.token_tenant = verified_token_tenant(req, state);
    if (facts.token_tenant) {
        decision = router::decide(state.routes(), state.tenants(), method, facts);
    } else if (required_but_missing && decision.match.route && decision.match.route->auth_required) {
        decision.error.reset();  // no valid token: the handler answers 401 unauthorized
    }
    return decision;
}

asio::awaitable<dispatch_outcome> dispatch(const request& req, std::string request_id,
                                           std::shared_ptr<const runtime_state> state,
                                           const handler_set& handlers,
                                           asio::any_io_executor executor,
                                           std::string client_ip) {
    dispatch_outcome out;
    auto parsed = router::parse_target(req.target());
    if (const auto* error = std::get_if<router::http_error>(&parsed)) {
        out.res = error_response(*error, request_id);
        co_return out;
    }
    const auto& target = std::get<router::parsed_target>(parsed);
    const std::string_view method = req.method_string();

    if (auto builtin = builtin_response(method, target.path, *state, request_id)) {
        out.res = std::move(*builtin);
        co_return out;
    }

    const auto decision = decide_request(req, target, *state, method);
    if (decision.tenant.code) out.tenant = *decision.tenant.code;
    if (decision.match.route) out.route = decision.match.route->path;
    if (decision.error) {
        out.res = error_response(*decision.error, request_id);
        co_return out;
    }

    route_handler* handler = handlers.find(decision.match.route->kind);
    if (handler == nullptr) {
        out.res = error_response(501, "not_implemented",
                                 "this kind of route is not available in this build", request_id);
        co_return out;
    }
    request_context ctx{req, target, decision, state, std::move(request_id), std::move(executor),
                        std::move(client_ip)};
    out.res = co_await run_handler(*handler, ctx);
    out.keep_until_sent = std::move(ctx.keep_until_sent);
    co_return out;
}

}  // namespace gateway
