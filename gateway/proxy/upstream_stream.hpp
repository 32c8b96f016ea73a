#pragma once
// The proxy's side of one upstream connection: its socket, with timeouts from the
// client connection's upstream deadline_watch (one per client connection, reused by
// each of its requests, so taking a parked connection arms no timer of its own).

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/http/deadline_watch.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/write_at_once.hpp"

namespace gateway {

/// A socket to an upstream server and the deadline that closes it.
class upstream_stream {
public:
    using executor_type = asio::any_io_executor;

    /// A parked (or not yet connected) socket, watched by `deadline` while held here.
    upstream_stream(asio::ip::tcp::socket socket, deadline_watch& deadline)
        : socket_(std::move(socket)), deadline_(deadline) {
        deadline_.watch(&socket_);
    }
    ~upstream_stream() {
        deadline_.watch(nullptr);
        deadline_.expires_never();
    }
    upstream_stream(const upstream_stream&) = delete;
    upstream_stream& operator=(const upstream_stream&) = delete;

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    asio::ip::tcp::socket& socket() noexcept { return socket_; }

    /// Hands the socket back (to be parked); this stream is then empty.
    asio::ip::tcp::socket release_socket() {
        deadline_.watch(nullptr);
        deadline_.expires_never();
        return std::move(socket_);
    }

    template <class Duration>
    void expires_after(Duration timeout) { deadline_.expires_after(timeout); }
    void expires_at(deadline_watch::clock::time_point when) { deadline_.expires_at(when); }
    void expires_never() noexcept { deadline_.expires_never(); }
    /// The socket was closed because a deadline passed.
    bool timed_out() const noexcept { return deadline_.timed_out(); }

    template <class Endpoints, class Token>
    auto async_connect(const Endpoints& endpoints, Token&& token) {
        return asio::async_connect(socket_, endpoints, std::forward<Token>(token));
    }
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }
    /// Reads what the socket already holds into `into` without waiting: the bytes read,
    /// 0 when nothing is there yet; `failed` set when the upstream closed or the socket
    /// failed (the error is taken from the socket here, so it is reported from here).
    std::size_t read_ready(asio::mutable_buffer into, beast::error_code& failed) noexcept {
        if (into.size() == 0 || !socket_.is_open()) return 0;
        const ssize_t n = ::recv(socket_.native_handle(), into.data(), into.size(), MSG_DONTWAIT);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) {
            failed = asio::error::eof;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            failed = beast::error_code(errno, asio::error::get_system_category());
        }
        return 0;
    }
    /// Sends what the socket takes at once of `buffers` (gateway/http/write_at_once.hpp).
    template <class ConstBuffers>
    std::size_t write_now(const ConstBuffers& buffers, beast::error_code& ec) {
        ec = {};
        if (!socket_.is_open()) return 0;  // the async write reports it
        return send_at_once(socket_.native_handle(), buffers, ec);
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

private:
    asio::ip::tcp::socket socket_;
    deadline_watch& deadline_;
};

}  // namespace gateway
