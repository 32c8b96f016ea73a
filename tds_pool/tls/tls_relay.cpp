#include "tds_pool/tls/tls_relay.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "tds_pool/tls/loopback_peer.hpp"
#include "tds_pool/tls/prelogin_packet.hpp"

namespace tds_pool::tls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

// One TLS record's worth: each direction holds at most this much plaintext and one
// chunk of ciphertext at a time.
constexpr std::size_t chunk_size = 16 * 1024;

tcp protocol_of(int fd) {
    sockaddr_storage address{};
    socklen_t size = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    return address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
}

class relay_session : public std::enable_shared_from_this<relay_session> {
public:
    relay_session(asio::strand<asio::io_context::executor_type> strand, tcp::acceptor acceptor,
                  secured_server server, std::shared_ptr<std::atomic<std::size_t>> sessions)
        : acceptor_(std::move(acceptor)), client_(strand), server_(strand), timer_(strand),
          channel_(std::move(server.channel)), prelogin_reply_(std::move(server.prelogin_for_client)),
          sessions_(std::move(sessions)) {
        const int fd = server.socket.release();
        server_.assign(protocol_of(fd), fd);
        ++*sessions_;
    }
    ~relay_session() { --*sessions_; }

    void start(std::chrono::milliseconds accept_timeout) {
        timer_.expires_after(accept_timeout);
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->relaying_) self->close();
        });
        acceptor_.async_accept(client_, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
    }

private:
    /// Takes FreeTDS's connection only. Another local process that reaches the port first
    /// is turned away and the port stays ours (listening) until FreeTDS has connected, so
    /// nobody can take the secured session or bind the port to catch FreeTDS's LOGIN7.
    void on_accept(error_code ec) {
        error_code ignored;
        if (ec) {
            return close();
        }
        if (!peer_is_this_process(client_.native_handle())) {
            client_.close(ignored);
            acceptor_.async_accept(client_, [self = shared_from_this()](error_code ec2) { self->on_accept(ec2); });
            return;
        }
        acceptor_.close(ignored);  // one client per session
        // A decrypted reply goes to FreeTDS at once, not after Nagle waits for an ACK.
        client_.set_option(tcp::no_delay(true), ignored);
        read_client_packet();
    }

    /// Reads (and drops) FreeTDS's PRELOGIN: the server already got the gateway's own.
    void read_client_packet() {
        asio::async_read(client_, asio::buffer(header_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            const auto header = parse_header(self->header_);
            if (!header || header->type != packet_type_prelogin) return self->close();
            self->up_.resize(header->payload_size());
            asio::async_read(self->client_, asio::buffer(self->up_),
                             [self, last = header->end_of_message()](error_code ec2, std::size_t) {
                                 if (ec2) return self->close();
                                 if (!last) return self->read_client_packet();
                                 self->answer_client();
                             });
        });
    }

    void answer_client() {
        asio::async_write(client_, asio::buffer(prelogin_reply_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->relaying_ = true;
            self->timer_.cancel();
            self->up_.resize(chunk_size);
            self->down_cipher_.resize(chunk_size);
            self->down_plain_.resize(chunk_size);
            self->pump_up();
            self->pump_down();
        });
    }

    /// FreeTDS → server: read plain TDS, send it encrypted.
    void pump_up() {
        client_.async_read_some(asio::buffer(up_), [self = shared_from_this()](error_code ec, std::size_t n) {
            if (ec || !self->channel_.encrypt(std::span(self->up_.data(), n))) return self->close();
            self->channel_.take_output(self->up_cipher_);
            asio::async_write(self->server_, asio::buffer(self->up_cipher_), [self](error_code ec2, std::size_t) {
                if (ec2) return self->close();
                self->pump_up();
            });
        });
    }

    /// Server → FreeTDS: read TLS records, hand over what they decrypt to.
    void pump_down() {
        server_.async_read_some(asio::buffer(down_cipher_), [self = shared_from_this()](error_code ec, std::size_t n) {
            if (ec) return self->close();
            self->channel_.feed(std::span(self->down_cipher_.data(), n));
            self->drain_down();
        });
    }

    void drain_down() {
        const long n = channel_.decrypt(down_plain_);
        if (n < 0) {
            return close();
        }
        if (n == 0) {
            return pump_down();
        }
        asio::async_write(client_, asio::buffer(down_plain_.data(), static_cast<std::size_t>(n)),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain_down();
                          });
    }

    void close() {
        error_code ignored;
        timer_.cancel();
        acceptor_.close(ignored);
        client_.close(ignored);
        server_.close(ignored);
    }

    tcp::acceptor acceptor_;
    tcp::socket client_;  ///< FreeTDS, over loopback
    tcp::socket server_;  ///< the tenant's SQL Server
    asio::steady_timer timer_;
    tls_channel channel_;
    std::vector<std::uint8_t> prelogin_reply_;
    std::array<std::uint8_t, packet_header_size> header_{};
    std::vector<std::uint8_t> up_, up_cipher_, down_cipher_, down_plain_;
    bool relaying_ = false;
    std::shared_ptr<std::atomic<std::size_t>> sessions_;
};

}  // namespace

tls_relay& tls_relay::instance() {
    // Never destroyed: sessions may still run while static objects are torn down at exit.
    static tls_relay* relay = new tls_relay();
    return *relay;
}

tls_relay::tls_relay()
    : work_(io_.get_executor()), sessions_(std::make_shared<std::atomic<std::size_t>>(0)) {
    const unsigned count = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    for (unsigned i = 0; i < count; ++i) {
        threads_.emplace_back([this] { io_.run(); });
    }
}

outcome<std::uint16_t> tls_relay::serve(secured_server server, std::chrono::milliseconds accept_timeout) {
    auto strand = asio::make_strand(io_);
    error_code ec;
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
    return port;
}

}  // namespace tds_pool::tls
