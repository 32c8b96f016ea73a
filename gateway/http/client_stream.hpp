#pragma once
// The client side of a connection, plain TCP or TLS over it, as one stream type: the
// session, the response writers and the proxy serve both through the same code. Each
// read and write picks its layer with one branch, so the plain path keeps Beast's
// tcp_stream as it was, with no virtual call and no allocation added. Timeouts are the
// TCP layer's (Beast's tcp_stream), which TLS reads and writes run through.

#include <chrono>
#include <memory>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "gateway/http/http_types.hpp"
#include "gateway/http/tls_identity.hpp"

namespace gateway {

/// One accepted connection's byte stream, with or without TLS.
class client_stream {
public:
    using executor_type = beast::tcp_stream::executor_type;
    using tls_stream = beast::ssl_stream<beast::tcp_stream>;

    /// A plain HTTP connection.
    explicit client_stream(asio::ip::tcp::socket socket) : layers_(std::in_place_index<0>, std::move(socket)) {}

    /// An HTTPS connection that will present `identity` (kept alive by the stream).
    client_stream(asio::ip::tcp::socket socket, std::shared_ptr<const tls_identity> identity)
        : identity_(std::move(identity)),
          layers_(std::in_place_index<1>, std::move(socket), identity_->context) {}

    client_stream(const client_stream&) = delete;
    client_stream& operator=(const client_stream&) = delete;

    executor_type get_executor() noexcept { return tcp().get_executor(); }

    /// The TCP layer: timeouts, socket options, close.
    beast::tcp_stream& tcp() noexcept {
        if (auto* tls = std::get_if<1>(&layers_)) return beast::get_lowest_layer(*tls);
        return *std::get_if<0>(&layers_);
    }
    asio::ip::tcp::socket& socket() noexcept { return tcp().socket(); }

    /// The TLS layer, or null on a plain connection.
    tls_stream* tls() noexcept { return std::get_if<1>(&layers_); }
    bool is_tls() const noexcept { return layers_.index() == 1; }

    /// The Strict-Transport-Security value every response on this connection carries;
    /// empty for plain HTTP or when HSTS is off.
    std::string_view hsts() const noexcept { return identity_ ? std::string_view(identity_->hsts) : std::string_view(); }

    template <class Duration>
    void expires_after(Duration timeout) { tcp().expires_after(timeout); }
    void expires_never() { tcp().expires_never(); }
    void cancel() { tcp().cancel(); }
    void close() { tcp().close(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(read_some{this}, token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(write_some{this}, token, buffers);
    }

private:
    struct read_some {
        client_stream* self;
        template <class Handler, class Buffers>
        void operator()(Handler&& handler, const Buffers& buffers) const {
            if (auto* tls = self->tls()) {
                tls->async_read_some(buffers, std::forward<Handler>(handler));
            } else {
                std::get_if<0>(&self->layers_)->async_read_some(buffers, std::forward<Handler>(handler));
            }
        }
    };
    struct write_some {
        client_stream* self;
        template <class Handler, class Buffers>
        void operator()(Handler&& handler, const Buffers& buffers) const {
            if (auto* tls = self->tls()) {
                tls->async_write_some(buffers, std::forward<Handler>(handler));
            } else {
                std::get_if<0>(&self->layers_)->async_write_some(buffers, std::forward<Handler>(handler));
            }
        }
    };

    std::shared_ptr<const tls_identity> identity_;  ///< before layers_: the SSL uses its context
    std::variant<beast::tcp_stream, tls_stream> layers_;
};

}  // namespace gateway
