#pragma once
// Routes of kind `proxy`: the request is forwarded to a named upstream, streamed both
// ways. Unlike the other kinds the session hands it the connection right after the
// header (match() decides that from the header alone), so bodies are relayed in chunks
// and never held whole: limits.max_body_bytes does not apply to proxied bodies, the
// upstream enforces its own limit.

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/access_log.hpp"
#include "gateway/client_origin.hpp"
#include "gateway/handler.hpp"
#include "gateway/handler_set.hpp"

namespace gateway {

struct health_monitor;

/// A request the router sent to a proxy route, decided from its header alone.
struct proxy_route {
    std::shared_ptr<const runtime_state> state;  ///< keeps `route` alive
    const conf::route_config* route = nullptr;
    std::optional<std::string> tenant;           ///< resolved company code, if any
    /// Set when an `auth: required` route refuses the request (401, 403 or 503): it is
    /// answered and never forwarded.
    std::optional<response> refusal;
};

/// Buffers a connection keeps from one proxied request to the next, so a request
/// allocates none of them.
struct proxy_buffers {
    beast::flat_buffer upstream;  ///< bytes read from the upstream connection
    std::string scratch;          ///< write_flat's copy of each piece going out
};

/// The client side of a proxied exchange, owned by the session.
struct proxy_client {
    beast::tcp_stream& stream;
    beast::flat_buffer& buffer;      ///< bytes read past the header
    const client_origin* origin = nullptr;  ///< who sent the request (X-Forwarded-For, X-Real-IP)
    bool keep_alive_allowed = true;  ///< false while draining
    health_monitor* monitor = nullptr;  ///< counts the finished request in /metrics
    proxy_buffers* buffers = nullptr;   ///< the connection's reusable buffers
};

/// Forwards proxy routes to the upstreams of the request's configuration
/// (runtime_state::upstreams).
class proxy_handler : public route_handler {
public:
    /// The proxy route of a request whose header was just read, or std::nullopt when
    /// the request is answered by something else (built-in endpoint, router error,
    /// another route kind) and goes the usual way.
    /// The tenant may come from the request's verified token, as for any route; a
    /// route with `auth: required` admits only a valid token of the tenant it serves.
    std::optional<proxy_route> match(const request& header,
                                     std::shared_ptr<const runtime_state> state,
                                     std::string_view request_id) const;

    /// Relays the request (its body still unread) and the upstream's answer; writes the
    /// access-log line. Returns true when the client connection may serve another request.
    asio::awaitable<bool> serve(proxy_client client,
                                http::request_parser<http::string_body>& parser,
                                proxy_route route, access_entry entry);

    /// Proxy routes never reach the buffered path; answers 500 if one does.
    asio::awaitable<response> handle(request_context& ctx) override;
};

/// The proxy handler of a handler set, or nullptr when proxying is not installed.
proxy_handler* find_proxy_handler(const handler_set& handlers) noexcept;

}  // namespace gateway
