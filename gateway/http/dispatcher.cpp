#include "gateway/http/dispatcher.hpp"

#include <exception>
#include <variant>

#include "gateway/http/json_response.hpp"
#include "gateway/telemetry/log.hpp"
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
    // token_tenant is filled only when no other source names a tenant (see decide_route)
    return facts;
}

/// True when the route binds a parameter from the token's claims.
bool binds_claims(const conf::route_config& route) {
    for (const auto& param : route.params) {
        if (param.source == conf::param_source::claim) return true;
    }
    return false;
}

/// True when the request names no tenant though the route would take one.
bool tenant_missing(const router::decision& decision) {
    if (decision.match.route == nullptr || decision.tenant.code) return false;
    return !decision.error || decision.error->code == "tenant_required";
}

/// The token is verified only when the answer depends on it: the signature check is the
/// costly part of resolving a tenant.
bool needs_token(const router::decision& decision) {
    const auto* route = decision.match.route;
    return route != nullptr && (route->auth_required || binds_claims(*route) || tenant_missing(decision));
}

/// Route, tenant and access, in that order; fills plan.decision, plan.token and, when the
/// request is refused, plan.refusal.
void decide_route(request_plan& plan, const request& header, const runtime_state& state,
                  const std::string& request_id) {
    const std::string_view method = header.method_string();
    auto facts = collect_facts(header, plan.target, state.config());
    plan.decision = router::decide(state.routes(), state.tenants(), method, facts);
    const std::string_view authorization = header[http::field::authorization];
    if (needs_token(plan.decision)) plan.token = state.gate().verify(authorization, request_id);
    if (tenant_missing(plan.decision) && plan.token) {
        // a request that names no tenant itself is served for its token's tenant
        facts.token_tenant = plan.token->tenant;
        plan.decision = router::decide(state.routes(), state.tenants(), method, facts);
    }
    const auto* route = plan.decision.match.route;
    if (auto& error = plan.decision.error) {
        // an auth route without a tenant and without a valid token: the gate says 401
        const bool gate_answers = route != nullptr && route->auth_required && error->code == "tenant_required";
        if (!gate_answers) {
            plan.refusal = error_response(*error, request_id);
            return;
        }
        error.reset();
    }
    if (auto refused = state.gate().admit(authorization, plan.token, route->auth_required, plan.decision.tenant.code)) {
        plan.refusal = error_response(refused->status, refused->code, refused->message, request_id);
    }
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
    co_return error_response(500, "internal_error", "the request could not be handled", ctx.request_id);
}

}  // namespace

std::optional<std::string> request_plan::route_label() const {
    if (builtin != nullptr) return builtin->path;
    if (decision.match.route != nullptr) return decision.match.route->path;
    return std::nullopt;
}

request_plan plan_request(const request& header, const runtime_state& state,
                          const endpoint_table& endpoints, const handler_set& handlers,
                          const std::string& request_id) {
    request_plan plan;
    auto parsed = router::parse_target(header.target());
    if (const auto* error = std::get_if<router::http_error>(&parsed)) {
        plan.refusal = error_response(*error, request_id);
        return plan;
    }
    plan.target = std::get<router::parsed_target>(std::move(parsed));
    if ((plan.builtin = endpoints.find(plan.target.path, state.config())) != nullptr) {
        if (!answers_method(*plan.builtin, header.method())) {
            plan.refusal = method_not_allowed(*plan.builtin, request_id);
        }
        return plan;
    }
    decide_route(plan, header, state, request_id);
    // a refused route keeps its handler: the session reads no body for a relaying one
    if (plan.route() != nullptr) plan.handler = handlers.find(plan.route()->kind);
    if (!plan.refusal && plan.handler == nullptr) {
        plan.refusal = error_response(501, "not_implemented",
                                      "this kind of route is not available in this build", request_id);
    }
    return plan;
}

asio::awaitable<response> answer_planned(const request_plan& plan, const request& req,
                                         std::shared_ptr<const runtime_state> state,
                                         const client_origin& origin, std::string request_id,
                                         asio::any_io_executor executor,
                                         std::shared_ptr<void>& keep_until_sent) {
    if (plan.refusal) co_return *plan.refusal;
    if (plan.builtin != nullptr) {
        co_return co_await plan.builtin->answer(endpoint_request{req, plan.target, *state, origin, request_id});
    }
    request_context ctx{req,       plan.target,         plan.decision, plan.token, state,
                        std::move(request_id), std::move(executor), origin.address_text};
    auto res = co_await run_handler(*plan.handler, ctx);
    keep_until_sent = std::move(ctx.keep_until_sent);
    if (!plan.rate_limit.empty()) {
        res.set("RateLimit-Policy", plan.rate_limit_policy);
        res.set("RateLimit", plan.rate_limit);
    }
    co_return res;
}

asio::awaitable<dispatch_outcome> dispatch(const request& req, std::string request_id,
                                           std::shared_ptr<const runtime_state> state,
                                           const handler_set& handlers,
                                           const endpoint_table& endpoints,
                                           asio::any_io_executor executor, client_origin origin) {
    const request_plan plan = plan_request(req, *state, endpoints, handlers, request_id);
    dispatch_outcome out;
    out.tenant = plan.decision.tenant.code;
    out.route = plan.route_label();
    out.res = co_await answer_planned(plan, req, std::move(state), origin, std::move(request_id),
                                      std::move(executor), out.keep_until_sent);
    co_return out;
}

}  // namespace gateway
