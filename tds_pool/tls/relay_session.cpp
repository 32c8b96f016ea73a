#include "tds_pool/tls/relay_session.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <span>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "tds_pool/tls/loopback_peer.hpp"

namespace tds_pool::tls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

// One TLS record's worth: what each direction reads at a time.
constexpr std::size_t chunk_size = 16 * 1024;
constexpr int nonblocking_send = MSG_DONTWAIT | MSG_NOSIGNAL;

tcp protocol_of(int fd) {
    sockaddr_storage address{};
    socklen_t size = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    return address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
}

bool would_block() noexcept { return errno == EAGAIN || errno == EWOULDBLOCK; }

/// Sends as much of `bytes` as `fd` takes without blocking: how much, or nullopt when the
/// socket failed.
std::optional<std::size_t> send_what_fits(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, nonblocking_send);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
        } else if (would_block()) {
            break;
        } else if (errno != EINTR) {
            return std::nullopt;
        }
    }
    return sent;
}

}  // namespace

relay_session::relay_session(strand_type strand, tcp::acceptor acceptor, secured_server server,
                             std::shared_ptr<std::atomic<std::size_t>> sessions)
    : strand_(strand), acceptor_(std::move(acceptor)), client_(strand), server_(strand), protocol_(tcp::v4()),
      timer_(strand), channel_(std::move(server.channel)), prelogin_reply_(std::move(server.prelogin_for_client)),
      sessions_(std::move(sessions)) {
    server_fd_ = server.socket.release();
    protocol_ = protocol_of(server_fd_);
    server_.assign(protocol_, server_fd_);
    ++*sessions_;
}

relay_session::~relay_session() {
    // Registered sockets close with their asio objects; released ones are ours to close.
    if (!descriptors_closed_ && !registered_) {
        if (client_fd_ >= 0) ::close(client_fd_);
        if (server_fd_ >= 0) ::close(server_fd_);
    }
    --*sessions_;
}

void relay_session::start(std::chrono::milliseconds accept_timeout) {
    timer_.expires_after(accept_timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
        const std::lock_guard lock(self->mutex_);
        if (!ec && !self->relaying_) self->break_locked();
    });
    acceptor_.async_accept(client_, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
}

/// Takes FreeTDS's connection only. Another local process that reaches the port first
/// is turned away and the port stays ours (listening) until FreeTDS has connected, so
/// nobody can take the secured session or bind the port to catch FreeTDS's LOGIN7.
void relay_session::on_accept(error_code ec) {
    const std::lock_guard lock(mutex_);
    error_code ignored;
    if (ec || broken_) return break_locked();
    if (!peer_is_this_process(client_.native_handle())) {
        client_.close(ignored);
        acceptor_.async_accept(client_, [self = shared_from_this()](error_code ec2) { self->on_accept(ec2); });
        return;
    }
    acceptor_.close(ignored);  // one client per session
    client_fd_ = client_.native_handle();
    // A decrypted reply goes to FreeTDS at once, not after Nagle waits for an ACK.
    client_.set_option(tcp::no_delay(true), ignored);
    read_client_packet();
}

/// Reads (and drops) FreeTDS's PRELOGIN: the server already got the gateway's own.
void relay_session::read_client_packet() {
    asio::async_read(client_, asio::buffer(header_), [self = shared_from_this()](error_code ec, std::size_t) {
        const std::lock_guard lock(self->mutex_);
        const auto header = parse_header(self->header_);
        if (ec || self->broken_ || !header || header->type != packet_type_prelogin) return self->break_locked();
        self->packet_.resize(header->payload_size());
        asio::async_read(self->client_, asio::buffer(self->packet_),
                         [self, last = header->end_of_message()](error_code ec2, std::size_t) {
                             const std::lock_guard lock2(self->mutex_);
                             if (ec2 || self->broken_) return self->break_locked();
                             if (!last) return self->read_client_packet();
                             self->answer_client();
                         });
    });
}

void relay_session::answer_client() {
    asio::async_write(client_, asio::buffer(prelogin_reply_), [self = shared_from_this()](error_code ec, std::size_t) {
        const std::lock_guard lock(self->mutex_);
        if (ec || self->broken_) return self->break_locked();
        self->relaying_ = true;
        self->timer_.cancel();
        self->packet_ = {};
        self->plain_.resize(chunk_size);
        self->cipher_.resize(chunk_size);
        self->rearm_locked();
    });
}

relay_session::flow relay_session::flush(int fd, std::vector<std::uint8_t>& pending) {
    const auto sent = send_what_fits(fd, pending);
    if (!sent) return flow::broken;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(*sent));
    return pending.empty() ? flow::moved : flow::blocked;
}

/// FreeTDS → server: everything FreeTDS has written, encrypted and sent.
relay_session::flow relay_session::move_up() {
    if (const flow f = flush(server_fd_, pending_up_); f != flow::moved) return f;
    for (;;) {
        const ssize_t n = ::recv(client_fd_, plain_.data(), plain_.size(), MSG_DONTWAIT);
        if (n == 0) return flow::broken;  // FreeTDS closed its socket
        if (n < 0) {
            if (errno == EINTR) continue;
            return would_block() ? flow::moved : flow::broken;
        }
        if (!channel_.encrypt(std::span(plain_.data(), static_cast<std::size_t>(n)))) return flow::broken;
        channel_.take_output(pending_up_);  // empty before: the last flush sent everything
        if (const flow f = flush(server_fd_, pending_up_); f != flow::moved) return f;
    }
}

/// `plain_bytes` of plain_ to FreeTDS; what its socket cannot take waits in pending_down_.
relay_session::flow relay_session::send_down(std::size_t plain_bytes) {
    const auto sent = send_what_fits(client_fd_, std::span(plain_.data(), plain_bytes));
    if (!sent) return flow::broken;
    if (*sent == plain_bytes) return flow::moved;
    pending_down_.assign(plain_.begin() + static_cast<std::ptrdiff_t>(*sent),
                         plain_.begin() + static_cast<std::ptrdiff_t>(plain_bytes));
    return flow::blocked;
}

/// Server → FreeTDS: every TLS record that arrived, decrypted and handed over.
relay_session::flow relay_session::move_down() {
    if (const flow f = flush(client_fd_, pending_down_); f != flow::moved) return f;
    for (;;) {
        for (;;) {  // what the session already holds first
            const long n = channel_.decrypt(plain_);
            if (n < 0) return flow::broken;
            if (n == 0) break;
            if (const flow f = send_down(static_cast<std::size_t>(n)); f != flow::moved) return f;
        }
        const ssize_t n = ::recv(server_fd_, cipher_.data(), cipher_.size(), MSG_DONTWAIT);
        if (n == 0) return flow::broken;  // the server closed the connection
        if (n < 0) {
            if (errno == EINTR) continue;
            return would_block() ? flow::moved : flow::broken;
        }
        channel_.feed(std::span(cipher_.data(), static_cast<std::size_t>(n)));
    }
}

void relay_session::arm(watch w) {
    bool& armed = armed_[static_cast<std::size_t>(w)];
    if (armed) return;
    armed = true;
    const bool client = w == watch::client_readable || w == watch::client_writable;
    const bool readable = w == watch::client_readable || w == watch::server_readable;
    (client ? client_ : server_)
        .async_wait(readable ? tcp::socket::wait_read : tcp::socket::wait_write,
                    [self = shared_from_this(), w, generation = generation_](error_code ec) {
                        self->on_ready(w, generation, ec);
                    });
}

/// Each direction waits for what lets it go on: its receiver when a chunk is pending,
/// else its sender.
void relay_session::rearm_locked() {
    arm(pending_up_.empty() ? watch::client_readable : watch::server_writable);
    arm(pending_down_.empty() ? watch::server_readable : watch::client_writable);
}

void relay_session::on_ready(watch w, std::uint64_t generation, error_code ec) {
    const std::lock_guard lock(mutex_);
    if (generation != generation_ || broken_) return;  // released or closed meanwhile
    armed_[static_cast<std::size_t>(w)] = false;
    if (driven_ || !registered_) return;  // the lease holder moves the bytes now
    if (ec) return break_locked();
    const bool up = w == watch::client_readable || w == watch::server_writable;
    if ((up ? move_up() : move_down()) == flow::broken) return break_locked();
    rearm_locked();
}

void relay_session::post_reconcile_locked() {
    if (reconcile_posted_) return;
    reconcile_posted_ = true;
    asio::post(strand_, [self = shared_from_this()] { self->reconcile(); });
}

/// Brings the relay's registrations in line with who moves the bytes: released while the
/// lease holder does (so their readiness wakes no relay thread), registered and watched
/// while the relay does.
void relay_session::reconcile() {
    const std::lock_guard lock(mutex_);
    reconcile_posted_ = false;
    if (broken_ || descriptors_closed_) return;
    error_code ec;
    if (driven_) {
        if (!registered_) return;
        ++generation_;
        armed_ = {};
        client_.release(ec);
        server_.release(ec);
        registered_ = false;
        return;
    }
    if (!registered_) {
        registered_ = true;  // from here on the asio objects own the descriptors
        client_.assign(tcp::v4(), client_fd_, ec);
        if (!ec) server_.assign(protocol_, server_fd_, ec);
        if (ec) {
            // What asio took it closes; the rest is closed here, and forgotten before any
            // shutdown could reach a descriptor number reused meanwhile.
            if (!client_.is_open()) ::close(std::exchange(client_fd_, -1));
            if (!server_.is_open()) ::close(std::exchange(server_fd_, -1));
            return break_locked();
        }
    }
    if (relaying_) rearm_locked();
}

void relay_session::break_locked() {
    if (broken_) return;
    broken_ = true;
    if (client_fd_ >= 0) ::shutdown(client_fd_, SHUT_RDWR);
    if (server_fd_ >= 0) ::shutdown(server_fd_, SHUT_RDWR);
    asio::post(strand_, [self = shared_from_this()] { self->close_sockets(); });
}

void relay_session::close_sockets() {
    const std::lock_guard lock(mutex_);
    error_code ignored;
    timer_.cancel();
    acceptor_.close(ignored);
    if (descriptors_closed_) return;
    descriptors_closed_ = true;
    if (registered_) {
        client_.close(ignored);
        server_.close(ignored);
    } else {
        if (client_fd_ >= 0) ::close(client_fd_);
        if (server_fd_ >= 0) ::close(server_fd_);
    }
    client_fd_ = server_fd_ = -1;
}

void relay_session::take_over() {
    const std::lock_guard lock(mutex_);
    if (driven_ || broken_ || !relaying_) return;
    driven_ = true;
    if (registered_) post_reconcile_locked();
}

bool relay_session::send_request() {
    const std::lock_guard lock(mutex_);
    if (broken_ || !relaying_) return false;
    if (!driven_) {
        driven_ = true;
        if (registered_) post_reconcile_locked();
    }
    const flow f = move_up();
    if (f == flow::broken) {
        break_locked();
        return false;
    }
    if (f == flow::blocked) hand_back_locked();  // the relay's threads send the rest
    return true;
}

int relay_session::reply_socket() const {
    const std::lock_guard lock(mutex_);
    return driven_ && !broken_ ? server_fd_ : -1;
}

bool relay_session::take_reply() {
    const std::lock_guard lock(mutex_);
    if (broken_) return false;
    if (!driven_) return true;
    const flow f = move_down();
    if (f == flow::broken) {
        break_locked();
        return false;
    }
    if (f == flow::blocked) hand_back_locked();  // FreeTDS reads the rest on a worker
    return true;
}

void relay_session::hand_back_locked() {
    if (!driven_ || broken_) return;
    driven_ = false;
    post_reconcile_locked();
}

void relay_session::hand_back() {
    const std::lock_guard lock(mutex_);
    hand_back_locked();
}

void relay_session::finish() {
    const std::lock_guard lock(mutex_);
    break_locked();
}

}  // namespace tds_pool::tls
