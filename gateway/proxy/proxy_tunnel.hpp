#pragma once
// After an upstream's 101 Switching Protocols (WebSocket, e.g. Vite's hot reload): the
// gateway stops speaking HTTP and copies bytes both ways until either side closes or
// nothing moves for `idle_timeout`.

#include <chrono>

#include <boost/beast/core/flat_buffer.hpp>

#include "gateway/http/http_types.hpp"
#include "gateway/proxy/upstream_stream.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// Copies bytes between the two connections (first what each buffer already holds)
/// until one side closes, fails, or the tunnel is idle for `idle_timeout`.
asio::awaitable<void> run_tunnel(client_stream& client, beast::flat_buffer& client_buffer,
                                 upstream_stream& upstream, beast::flat_buffer& upstream_buffer,
                                 std::chrono::milliseconds idle_timeout);

}  // namespace gateway
