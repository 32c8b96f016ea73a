#pragma once
// The interface every route kind implements (echo, sql, login, proxy). The session
// reads the request and the router decides; a handler only turns a decided request
// into a response. Handlers are long-lived and shared by all connections, so
// handle() must be safe to run concurrently.

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "conf/config.hpp"
#include "gateway/http_types.hpp"
#include "gateway/runtime_state.hpp"
#include "router/dispatch.hpp"
#include "router/request_target.hpp"

namespace gateway {

/// What a handler gets to know about one request; alive until handle() completes.
struct request_context {
    const request& req;                      ///< the complete request, body included
    const router::parsed_target& target;     ///< decoded path and query
    const router::decision& decision;        ///< matched route (non-null) and tenant
    std::shared_ptr<const runtime_state> state;  ///< the configuration of this request
    std::string request_id;                  ///< also in the X-Request-Id response header
    asio::any_io_executor executor;          ///< the connection's event loop
    std::string client_ip = {};              ///< the real client (see client_origin)
    /// Kept by the session until the response is written (e.g. its body's share of the
    /// response budget): a handler's resources that must outlive handle().
    std::shared_ptr<void> keep_until_sent = {};
};

/// Produces the response of a matched route of one kind.
class route_handler {
public:
    virtual ~route_handler() = default;

    /// Answers the request. Errors are answered with error_response(), not thrown;
    /// the session adds X-Request-Id, Server and Connection headers afterwards.
    virtual asio::awaitable<response> handle(request_context& ctx) = 0;
};

}  // namespace gateway
