#pragma once
// The one decision about a request, made once, from its header alone (every source of a
// tenant is in the header): a refusal (bad target, router error, 401/403/503 from the
// access gate, 405, 501), an endpoint the gateway answers itself, or the handler of the
// matched route's kind. The session acts on it: it relays the request (proxy), or reads
// the body and has the plan answered.

#include <memory>
#include <optional>
#include <string>

#include "gateway/http/access_gate.hpp"
#include "gateway/http/endpoint_table.hpp"
#include "gateway/http/handler_set.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/runtime_state.hpp"

namespace gateway {

/// What the dispatcher decided for one request.
struct request_plan {
    router::parsed_target target;          ///< decoded path and query
    const endpoint* builtin = nullptr;     ///< set: an endpoint the gateway answers itself
    router::decision decision;             ///< matched route and tenant
    route_handler* handler = nullptr;      ///< the route kind's handler
    std::optional<verified_token> token;   ///< verified once, when the route needed it
    std::optional<response> refusal;       ///< set: answered with it, nothing runs
    std::shared_ptr<void> permit;          ///< the tenant's concurrency slot, held to the end
    std::string rate_limit_policy;         ///< RateLimit-Policy of the answer; empty: none
    std::string rate_limit;                ///< RateLimit of the answer; empty: none

    /// The matched route, or nullptr.
    const conf::route_config* route() const noexcept { return decision.match.route; }
    /// The route label of the access log and the metrics: the route's pattern or the
    /// endpoint's path.
    std::optional<std::string> route_label() const;
    /// True when the handler takes the connection after the header (proxy routes).
    bool relays() const noexcept { return !refusal && handler != nullptr && handler->relays(); }
};

/// Decides a request from its header. Never throws for a bad request.
request_plan plan_request(const request& header, const runtime_state& state,
                          const endpoint_table& endpoints, const handler_set& handlers,
                          const std::string& request_id);

/// Answers a planned request whose body has been read: its refusal, its endpoint, or its
/// handler (an escaped exception becomes a logged 500). `keep_until_sent` receives what
/// must live until the response is written.
asio::awaitable<response> answer_planned(const request_plan& plan, const request& req,
                                         std::shared_ptr<const runtime_state> state,
                                         const client_origin& origin, std::string request_id,
                                         asio::any_io_executor executor,
                                         std::shared_ptr<void>& keep_until_sent);

/// A response and what the access log says about how it was decided.
struct dispatch_outcome {
    response res;
    std::optional<std::string> tenant;  ///< resolved company code, if any
    std::optional<std::string> route;   ///< matched route pattern, if any
    std::shared_ptr<void> keep_until_sent;  ///< the handler's, released after the write
};

/// Plans and answers a complete request in one step (tests, and requests whose body is
/// already read). `req`, `handlers` and `endpoints` must outlive the awaitable.
asio::awaitable<dispatch_outcome> dispatch(const request& req, std::string request_id,
                                           std::shared_ptr<const runtime_state> state,
                                           const handler_set& handlers,
                                           const endpoint_table& endpoints,
                                           asio::any_io_executor executor,
                                           client_origin origin = {});

}  // namespace gateway
