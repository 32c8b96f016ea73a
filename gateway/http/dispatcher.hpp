#pragma once
// From a complete request to its response: built-in endpoints first, then the router's
// decision (tenant + route), then the handler of the route's kind.

#include <memory>
#include <optional>
#include <string>

#include "gateway/http/handler_set.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/runtime_state.hpp"

namespace gateway {

/// A response and what the access log says about how it was decided.
struct dispatch_outcome {
    response res;
    std::optional<std::string> tenant;  ///< resolved company code, if any
    std::optional<std::string> route;   ///< matched route pattern, if any
    std::shared_ptr<void> keep_until_sent;  ///< the handler's, released after the write
};

/// The router's decision for a request: tenant and route. A request that names no
/// tenant itself may be served for its verified token's tenant (when "token" is in
/// tenant_resolution.order). Used for every request, proxied ones included.
router::decision decide_request(const request& req, const router::parsed_target& target,
                                const runtime_state& state, std::string_view method);

/// Answers one request. Never throws for a bad request: every refusal is a JSON error.
/// `req` and `handlers` must stay alive until the returned awaitable completes.
/// `client_ip` is the peer's address as handlers see it.
asio::awaitable<dispatch_outcome> dispatch(const request& req, std::string request_id,
                                           std::shared_ptr<const runtime_state> state,
                                           const handler_set& handlers,
                                           asio::any_io_executor executor,
                                           std::string client_ip = {});

}  // namespace gateway
