#pragma once
// The interface every route kind implements (echo, sql, login, proxy). The session
// reads the request and the dispatcher decides; a handler only turns a decided request
// into a response, or (proxy) takes the connection over right after the header.
// Handlers are long-lived and shared by all connections, so handle() and relay() must
// be safe to run concurrently.

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "conf/config.hpp"
#include "gateway/http/access_gate.hpp"
#include "gateway/http/client_origin.hpp"
#include "gateway/http/deadline_watch.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/runtime_state.hpp"
#include "router/dispatch.hpp"
#include "router/request_target.hpp"
#include "gateway/telemetry/access_log.hpp"
#include "gateway/telemetry/metrics_registry.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// What a handler gets to know about one request; alive until handle() completes.
struct request_context {
    const request& req;                      ///< the complete request, body included
    const router::parsed_target& target;     ///< decoded path and query
    const router::decision& decision;        ///< matched route (non-null) and tenant
    const std::optional<verified_token>& token;  ///< verified once by the dispatcher, if the route needed it
    std::shared_ptr<const runtime_state> state;  ///< the configuration of this request
    std::string request_id;                  ///< also in the X-Request-Id response header
    asio::any_io_executor executor;          ///< the connection's event loop
    std::string client_ip = {};              ///< the real client (see client_origin)
    /// Kept by the session until the response is written (e.g. its body's share of the
    /// response budget): a handler's resources that must outlive handle().
    std::shared_ptr<void> keep_until_sent = {};
};

/// Buffers a connection keeps from one relayed request to the next, so a request
/// allocates none of them.
struct relay_buffers {
    beast::flat_buffer upstream;  ///< bytes read from the upstream connection
    std::string scratch;          ///< write_flat's copy of each piece going out
    /// Times the upstream connection of each relayed request; made on first use.
    std::optional<deadline_watch> upstream_deadline;
};

/// The client side of a connection handed to a relaying handler, owned by the session.
struct connection_handoff {
    client_stream& stream;                   ///< plain or TLS
    beast::flat_buffer& buffer;              ///< bytes read past the header
    const client_origin* origin = nullptr;   ///< who sent the request
    bool keep_alive_allowed = true;          ///< false while draining
    metrics_registry* metrics = nullptr;     ///< counts the finished request
    relay_buffers* buffers = nullptr;        ///< the connection's reusable buffers
};

/// A request handed over right after its header, with what the dispatcher decided.
struct relayed_request {
    std::shared_ptr<const runtime_state> state;  ///< keeps `route` alive
    const conf::route_config* route = nullptr;
    std::optional<std::string> tenant;           ///< resolved company code, if any
};

/// Produces the response of a matched route of one kind.
class route_handler {
public:
    virtual ~route_handler() = default;

    /// Answers the request. Errors are answered with error_response(), not thrown;
    /// the session adds X-Request-Id, Server and Connection headers afterwards.
    virtual asio::awaitable<response> handle(request_context& ctx) = 0;

    /// True when the handler takes the connection right after the header (relay()):
    /// the session then reads no body, and limits.max_body_bytes does not apply.
    virtual bool relays() const noexcept { return false; }

    /// Serves a request whose body is still unread and writes its access-log line;
    /// true when the connection may serve another request. Only for relays().
    virtual asio::awaitable<bool> relay(connection_handoff client,
                                        http::request_parser<http::string_body>& parser,
                                        relayed_request route, access_entry entry) {
        (void)client, (void)parser, (void)route, (void)entry;
        co_return false;
    }
};

}  // namespace gateway
