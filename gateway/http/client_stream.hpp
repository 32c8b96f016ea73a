#pragma once
// The client side of a connection, plain TCP or TLS over it, as one stream type: the
// session, the response writers and the proxy serve both through the same code. Each
// read and write picks its layer with one branch. Timeouts are one deadline per
// connection (deadline_watch), which closes the socket when it passes.

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/http/deadline_watch.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/tls_channel.hpp"
#include "gateway/http/tls_identity.hpp"
#include "gateway/http/write_at_once.hpp"

namespace gateway {

/// One accepted connection's byte stream, with or without TLS.
class client_stream {
public:
    using executor_type = asio::any_io_executor;

    /// A plain HTTP connection.
    explicit client_stream(asio::ip::tcp::socket socket)
        : socket_(std::move(socket)), deadline_(socket_.get_executor()) {
        deadline_.watch(&socket_);
    }

    /// An HTTPS connection that will present `identity` (kept alive by the stream).
    client_stream(asio::ip::tcp::socket socket, std::shared_ptr<const tls_identity> identity)
        : identity_(std::move(identity)), socket_(std::move(socket)), deadline_(socket_.get_executor()) {
        deadline_.watch(&socket_);
        tls_.emplace(socket_, identity_->context.native_handle());
    }

    client_stream(const client_stream&) = delete;
    client_stream& operator=(const client_stream&) = delete;

    executor_type get_executor() noexcept { return socket_.get_executor(); }

    asio::ip::tcp::socket& socket() noexcept { return socket_; }

    /// The TLS layer, or null on a plain connection.
    tls_channel* tls() noexcept { return tls_ ? &*tls_ : nullptr; }
    bool is_tls() const noexcept { return tls_.has_value(); }

    /// The Strict-Transport-Security value every response on this connection carries;
    /// empty for plain HTTP or when HSTS is off.
    std::string_view hsts() const noexcept { return identity_ ? std::string_view(identity_->hsts) : std::string_view(); }

    template <class Duration>
    void expires_after(Duration timeout) { deadline_.expires_after(timeout); }
    void expires_never() noexcept { deadline_.expires_never(); }
    /// The connection was closed because a deadline passed.
    bool timed_out() const noexcept { return deadline_.timed_out(); }
    void cancel() {
        beast::error_code ignored;
        socket_.cancel(ignored);
    }
    void close() {
        beast::error_code ignored;
        socket_.close(ignored);
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(read_some{this}, token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(write_some{this}, token, buffers);
    }

    /// Sends what the socket takes at once of `buffers` (write_at_once.hpp); 0 on TLS,
    /// whose records the TLS layer writes.
    template <class ConstBuffers>
    std::size_t write_now(const ConstBuffers& buffers, beast::error_code& ec) {
        ec = {};
        if (tls_ || !socket_.is_open() || asio::buffer_size(buffers) == 0) return 0;
        before_plain_write();
        return send_at_once(socket_.native_handle(), buffers, ec);
    }

private:
    struct read_some {
        client_stream* self;
        template <class Handler, class Buffers>
        void operator()(Handler&& handler, const Buffers& buffers) const {
            if (self->tls_) {
                self->tls_->async_read_some(buffers, std::forward<Handler>(handler));
            } else {
                self->socket_.async_read_some(buffers, std::forward<Handler>(handler));
            }
        }
    };
    struct write_some {
        client_stream* self;
        template <class Handler, class Buffers>
        void operator()(Handler&& handler, const Buffers& buffers) const {
            if (self->tls_) {
                self->tls_->async_write_some(buffers, std::forward<Handler>(handler));
            } else {
                self->before_plain_write();
                self->socket_.async_write_some(buffers, std::forward<Handler>(handler));
            }
        }
    };

    /// Nagle's algorithm holds a small write back while an earlier one is unacknowledged
    /// (up to the client's delayed ACK, 40 ms): a proxied answer's last piece, or the
    /// next answer on a kept-alive connection. The first write on a connection never
    /// waits, so TCP_NODELAY is set before the second: a connection answered once and
    /// closed saves the system call.
    void before_plain_write() {
        if (writes_ == 1) {
            beast::error_code ignored;
            socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        }
        if (writes_ < 2) ++writes_;
    }

    std::shared_ptr<const tls_identity> identity_;  ///< before tls_: its SSL uses the context
    asio::ip::tcp::socket socket_;
    std::optional<tls_channel> tls_;
    deadline_watch deadline_;
    unsigned writes_ = 0;  ///< plain writes started, counted up to 2 (before_plain_write)
};

}  // namespace gateway
