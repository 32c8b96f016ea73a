#include "tds_pool/tls/deadline_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "tds_pool/tls/prelogin_packet.hpp"

namespace tds_pool::tls {
namespace {

int milliseconds_left(deadline until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

void set_options(int fd) {
    int on = 1, idle = 30, interval = 10, count = 3;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    // The relay holds this socket for the connection's life: notice a silently dead peer.
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

/// One non-blocking connect attempt; the error number, 0 on success.
int try_connect(int fd, const addrinfo& address, deadline until) {
    if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) {
        return 0;
    }
    if (errno != EINPROGRESS) {
        return errno;
    }
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, milliseconds_left(until));
    if (ready <= 0) {
        return ETIMEDOUT;
    }
    int error = 0;
    socklen_t size = sizeof(error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
    return error;
}

}  // namespace

std::variant<deadline_socket, std::string> deadline_socket::connect(const std::string& host,
                                                                    std::uint16_t port, deadline until) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        return fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc));
    }
    std::string reason = "no address";
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            reason = std::strerror(errno);
            continue;
        }
        const int error = try_connect(fd, *a, until);
        if (error == 0) {
            ::freeaddrinfo(found);
            set_options(fd);
            return deadline_socket(fd);
        }
        reason = error == ETIMEDOUT ? "connection timed out" : std::strerror(error);
        ::close(fd);
    }
    ::freeaddrinfo(found);
    return reason;
}

deadline_socket::deadline_socket(deadline_socket&& other) noexcept : fd_(other.release()) {}

deadline_socket& deadline_socket::operator=(deadline_socket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

deadline_socket::~deadline_socket() {
    if (fd_ >= 0) ::close(fd_);
}

int deadline_socket::release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

bool deadline_socket::passed(deadline until) {
    return std::chrono::steady_clock::now() >= until;
}

bool deadline_socket::wait(short events, deadline until) const {
    pollfd p{fd_, events, 0};
    return ::poll(&p, 1, milliseconds_left(until)) > 0;
}

std::optional<std::string> deadline_socket::send_all(std::span<const std::uint8_t> bytes, deadline until) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        if (passed(until)) {
            return std::string("the server did not answer in time");
        }
        const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return std::string(std::strerror(errno));
        } else if (!wait(POLLOUT, until)) {
            return std::string("the server did not answer in time");
        }
    }
    return std::nullopt;
}

std::optional<std::string> deadline_socket::receive_exact(std::span<std::uint8_t> out, deadline until) {
    // Checked on every pass, not only when the socket would block: a server that keeps
    // sending (empty packets, say) must not hold the open past its deadline.
    if (passed(until)) {
        return std::string("the server did not answer in time");
    }
    std::size_t got = 0;
    while (got < out.size()) {
        if (passed(until)) {
            return std::string("the server did not answer in time");
        }
        const ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        } else if (n == 0) {
            return std::string("the server closed the connection");
        } else if (errno != EAGAIN && errno != EINTR) {
            return std::string(std::strerror(errno));
        } else if (!wait(POLLIN, until)) {
            return std::string("the server did not answer in time");
        }
    }
    return std::nullopt;
}

std::variant<std::vector<std::uint8_t>, std::string> receive_packet(deadline_socket& socket, deadline until) {
    std::vector<std::uint8_t> packet(packet_header_size);
    if (auto failed = socket.receive_exact(packet, until)) {
        return *failed;
    }
    const auto header = parse_header(std::span<const std::uint8_t, packet_header_size>(packet.data(), packet_header_size));
    if (!header) {
        return std::string("the server's answer is not TDS");
    }
    packet.resize(header->length);
    if (auto failed = socket.receive_exact(std::span(packet).subspan(packet_header_size), until)) {
        return *failed;
    }
    return packet;
}

}  // namespace tds_pool::tls
