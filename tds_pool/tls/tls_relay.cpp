#include "tds_pool/tls/tls_relay.hpp"

#include <pthread.h>

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/format.h>

#include "tds_pool/tls/relay_session.hpp"

namespace tds_pool::tls {

namespace asio = boost::asio;
using asio::ip::tcp;

tls_relay& tls_relay::instance() {
    // Never destroyed: sessions may still run while static objects are torn down at exit.
    static tls_relay* relay = new tls_relay();
    return *relay;
}

tls_relay::tls_relay()
    : work_(io_.get_executor()), sessions_(std::make_shared<std::atomic<std::size_t>>(0)) {
    const unsigned count = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    for (unsigned i = 0; i < count; ++i) {
        threads_.emplace_back([this] {
            // named for top -H and perf: the relay's CPU is told apart from the gateway's
            ::pthread_setname_np(::pthread_self(), "tg-tls-relay");
            io_.run();
        });
    }
}

outcome<relay_endpoint> tls_relay::serve(secured_server server, std::chrono::milliseconds accept_timeout) {
    auto strand = asio::make_strand(io_);
    boost::system::error_code ec;
    tcp::acceptor acceptor(strand);
    const tcp::endpoint loopback(asio::ip::address_v4::loopback(), 0);
    acceptor.open(loopback.protocol(), ec);
    if (!ec) acceptor.bind(loopback, ec);
    if (!ec) acceptor.listen(4, ec);
    if (ec) {
        return db_error{errc::tenant_db_unavailable, fmt::format("cannot open the TLS relay: {}", ec.message())};
    }
    const std::uint16_t port = acceptor.local_endpoint(ec).port();
    auto session = std::make_shared<relay_session>(strand, std::move(acceptor), std::move(server), sessions_);
    asio::dispatch(strand, [session, accept_timeout] { session->start(accept_timeout); });
    return relay_endpoint{port, session};
}

}  // namespace tds_pool::tls
