#pragma once
// One listening socket per event loop, as nginx's `reuseport` and Envoy's workers do:
// the kernel spreads new connections over the loops' sockets (SO_REUSEPORT), and each
// loop accepts and serves its own, so no thread hands a connection to another (a
// wake-up and a queue per connection before) and no loop waits on another's accept.
//
// The port stays the gateway's alone, as with one socket: it must be free at start (a
// port another process holds fails as before, never shared), and the kernel picks
// among the gateway's own sockets only (a socket some other process of the same user
// adds to the port later is never given a connection).

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "gateway/http/event_loops.hpp"
#include "gateway/http/services.hpp"
#include "gateway/http/tls_identity.hpp"

namespace gateway {

/// The listening sockets of one address and port, one per event loop.
class loop_listeners {
public:
    /// Listens on `address`:`port` with one socket per loop of `loops`; port 0 takes a
    /// free port, the same for every socket. Logs and returns false when it cannot.
    bool open(const std::string& address, std::uint16_t port, event_loops& loops);

    /// Starts each loop's accept loop (listener.hpp); HTTPS with `tls`. `svc` and
    /// `tls` must outlive the loops.
    void start(services& svc, const tls_identity_holder* tls = nullptr);

    /// Stops accepting: each socket is closed on its own loop, so a pending accept is
    /// cancelled there, never raced from another thread. Connections still queued in a
    /// socket's backlog are reset by the kernel.
    void close();

    /// Where the sockets listen (the port chosen when 0 was asked).
    asio::ip::tcp::endpoint local_endpoint() const;

private:
    bool open_one(const asio::ip::tcp::endpoint& endpoint, asio::any_io_executor loop, bool shared);

    std::vector<asio::ip::tcp::acceptor> acceptors_;
};

}  // namespace gateway
