#pragma once
// Accepting client connections, with a cap on how many are open at once.

#include <boost/asio/ip/tcp.hpp>

#include "gateway/http/event_loops.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/services.hpp"

namespace gateway {

/// Accepts until the acceptor is closed. Each connection is served on one of `loops`.
/// Beyond limits.max_client_connections a connection is answered 503
/// `too_many_connections` (with Retry-After) and closed without reading a request.
/// `acceptor`, `svc` and `loops` must outlive the accept loop.
asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, services& svc,
                                  event_loops& loops);

}  // namespace gateway
