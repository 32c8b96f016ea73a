#pragma once
// Accepting client connections, with a cap on how many are open at once.

#include <boost/asio/ip/tcp.hpp>

#include "gateway/http/http_types.hpp"
#include "gateway/http/services.hpp"
#include "gateway/http/tls_identity.hpp"

namespace gateway {

/// Accepts until the acceptor is closed. Each connection is served on the acceptor's
/// own event loop.
/// Beyond limits.max_client_connections a connection is answered 503
/// `too_many_connections` (with Retry-After) and closed without reading a request.
/// With `tls` the listener is HTTPS: each connection's handshake presents the identity
/// the holder has at accept time, and a connection over the cap is closed at once (a
/// plain-text 503 means nothing to a TLS client, and a handshake to say it costs CPU
/// the flood should not get). `acceptor`, `svc` and `tls` must outlive the loop.
asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, services& svc,
                                  const tls_identity_holder* tls = nullptr);

}  // namespace gateway
