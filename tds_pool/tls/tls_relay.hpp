#pragma once
// Hands FreeTDS an encrypted server connection as if it were a plain one. For each
// encrypted connection the relay listens once on a fresh loopback port; FreeTDS dials it
// with its ordinary "127.0.0.1:port" dbopen, the relay answers FreeTDS's PRELOGIN with the
// server's own answer (ENCRYPTION: NOT_SUP) and from then on moves bytes: FreeTDS's plain
// TDS is encrypted towards the server, the server's TLS records are decrypted back.
//
// FreeTDS thus never sees TLS, so the pool's socket-readiness shortcuts stay sound (TLS
// would hide decrypted bytes from poll), and the gateway alone decides how certificates
// are checked. The relay's own threads move the bytes whenever FreeTDS may block; on the
// pool's fast path the connection's lease holder moves them itself (relay_link.hpp).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "tds_pool/outcome.hpp"
#include "tds_pool/tls/relay_link.hpp"
#include "tds_pool/tls/secure_connect.hpp"

namespace tds_pool::tls {

/// Where FreeTDS dials for one relayed session, and the connection's hold on it.
struct relay_endpoint {
    std::uint16_t port = 0;
    std::shared_ptr<relay_link> link;
};

class tls_relay {
public:
    /// The process's relay; its threads start on first use and live as long as the process.
    static tls_relay& instance();

    /// Starts serving `server` to the first connection on a new loopback port. Without a
    /// client finishing its PRELOGIN within `accept_timeout`, the session closes the
    /// server connection.
    outcome<relay_endpoint> serve(secured_server server, std::chrono::milliseconds accept_timeout);

    /// Sessions currently relaying or waiting for their client.
    std::size_t sessions() const noexcept { return sessions_->load(); }

private:
    tls_relay();

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::shared_ptr<std::atomic<std::size_t>> sessions_;
    std::vector<std::thread> threads_;
};

}  // namespace tds_pool::tls
