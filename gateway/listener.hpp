#pragma once
// Accepting client connections, with a cap on how many are open at once.

#include <boost/asio/ip/tcp.hpp>

#include "gateway/http_types.hpp"
#include "gateway/services.hpp"

namespace gateway {

/// Accepts until the acceptor is closed. Each connection gets a strand of its own.
/// Beyond limits.max_client_connections a connection is answered 503
/// `too_many_connections` (with Retry-After) and closed without reading a request.
/// `acceptor` and `svc` must outlive the loop; connection strands are made on `io`.
asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, services& svc,
                                  asio::any_io_executor io);

}  // namespace gateway
