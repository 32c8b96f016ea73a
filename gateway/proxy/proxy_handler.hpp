#pragma once
// Routes of kind `proxy`: the request is forwarded to a named upstream, streamed both
// ways. Unlike the other kinds it takes the connection right after the header (the
// dispatcher decided the route from the header alone), so bodies are relayed in chunks
// and never held whole: limits.max_body_bytes does not apply to proxied bodies, the
// upstream enforces its own limit.

#include "gateway/http/route_handler.hpp"
#include "gateway/proxy/upstream_registry.hpp"

namespace gateway {

/// Forwards proxy routes to the upstreams of the request's configuration
/// (runtime_state::upstreams).
class proxy_handler : public route_handler {
public:
    bool relays() const noexcept override { return true; }

    /// Relays the request (its body still unread) and the upstream's answer; writes the
    /// access-log line. Returns true when the client connection may serve another request.
    asio::awaitable<bool> relay(connection_handoff client, http::request_parser<http::string_body>& parser,
                                relayed_request route, access_entry entry) override;

    /// Proxy routes never reach the buffered path; answers 500 if one does.
    asio::awaitable<response> handle(request_context& ctx) override;
};

}  // namespace gateway
