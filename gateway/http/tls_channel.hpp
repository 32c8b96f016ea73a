#pragma once
// TLS spoken by OpenSSL straight on the connection's socket, as nginx does: SSL_read
// and SSL_write call recv and send themselves, and the event loop only waits for the
// socket to become readable or writable when OpenSSL asks. Asio's ssl::stream (under
// Beast's ssl_stream) runs every record through a memory BIO pair instead, copying it
// once more each way and adding its own state machine and buffer writes per operation;
// it cost the gateway about twice nginx's CPU per HTTPS request over plain HTTP.

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// The TLS session of one accepted connection (server side), over a socket it does
/// not own. One read and one write may be pending at a time, as for a socket.
class tls_channel {
public:
    /// Takes a new SSL object from `context` for `socket` (made non-blocking).
    tls_channel(asio::ip::tcp::socket& socket, SSL_CTX* context);
    ~tls_channel();
    tls_channel(const tls_channel&) = delete;
    tls_channel& operator=(const tls_channel&) = delete;

    template <class Token>
    auto async_handshake(Token&& token) {
        return start(handshake_step{}, std::forward<Token>(token));
    }
    /// Sends close_notify (it does not wait for the client's).
    template <class Token>
    auto async_shutdown(Token&& token) {
        return start(shutdown_step{}, std::forward<Token>(token));
    }
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return start(read_step{first_buffer(buffers)}, std::forward<Token>(token));
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return start(write_step{flatten(buffers)}, std::forward<Token>(token));
    }

    /// What one call into OpenSSL came to.
    enum class outcome { done, want_read, want_write, failed };

private:
    // Each step is one retryable OpenSSL call; `n` gets the bytes moved.
    struct handshake_step {
        int operator()(SSL* ssl, std::size_t& n) const;
    };
    struct shutdown_step {
        int operator()(SSL* ssl, std::size_t& n) const;
    };
    struct read_step {
        asio::mutable_buffer buffer;
        int operator()(SSL* ssl, std::size_t& n) const;
    };
    struct write_step {
        asio::const_buffer buffer;
        int operator()(SSL* ssl, std::size_t& n) const;
    };

    /// Runs `step` once: done (n set), a wait for the socket, or failed (ec set).
    template <class Step>
    outcome attempt(const Step& step, std::size_t& n, beast::error_code& ec) {
        // Once the socket is closed (a deadline passed) its fd number may already
        // belong to another connection: OpenSSL must not touch it again.
        if (!socket_.is_open()) {
            ec = asio::error::bad_descriptor;
            return outcome::failed;
        }
        ERR_clear_error();
        errno = 0;  // SSL_ERROR_SYSCALL reports errno: never a stale one
        const int result = step(ssl_, n);
        return classify(result, ec);
    }
    outcome classify(int result, beast::error_code& ec);

    template <class Step>
    struct operation {
        tls_channel* channel;
        Step step;
        bool waited = false;    ///< some wait for the socket ran: completing now is not inline
        bool finished = false;  ///< the result below is final (posted to complete)
        beast::error_code result_ec{};
        std::size_t result_n = 0;

        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}) {
            if (finished) return self.complete(result_ec, result_n);
            if (ec) return self.complete(ec, 0);
            std::size_t n = 0;
            switch (channel->attempt(step, n, ec)) {
                case outcome::want_read:
                    waited = true;
                    return channel->socket_.async_wait(asio::ip::tcp::socket::wait_read, std::move(self));
                case outcome::want_write:
                    waited = true;
                    return channel->socket_.async_wait(asio::ip::tcp::socket::wait_write, std::move(self));
                case outcome::done:
                case outcome::failed:
                    break;
            }
            if (waited) return self.complete(ec, n);
            // Done at once, inside the initiating call: complete through the event loop,
            // as Asio's own socket operations do.
            finished = true;
            result_ec = ec;
            result_n = n;
            auto executor = channel->socket_.get_executor();
            asio::post(executor, std::move(self));
        }
    };

    template <class Step, class Token>
    auto start(Step step, Token&& token) {
        return asio::async_compose<Token, void(beast::error_code, std::size_t)>(
            operation<Step>{this, step}, token, socket_);
    }

    template <class MutableBuffers>
    static asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            if (asio::mutable_buffer(*it).size() > 0) return *it;
        }
        return {};
    }

    /// One buffer for one SSL_write: the first, or several small ones copied together
    /// (one record and one send instead of one per buffer).
    template <class ConstBuffers>
    asio::const_buffer flatten(const ConstBuffers& buffers) {
        auto it = asio::buffer_sequence_begin(buffers);
        const auto end = asio::buffer_sequence_end(buffers);
        // Asio's write of two buffers keeps offering the first once it is used up.
        while (it != end && asio::const_buffer(*it).size() == 0) ++it;
        if (it == end) return {};
        const asio::const_buffer first(*it);
        auto rest = std::next(it);
        while (rest != end && asio::const_buffer(*rest).size() == 0) ++rest;
        if (rest == end || first.size() >= max_record) return first;
        const std::size_t size = std::min(asio::buffer_size(buffers), max_record);
        write_copy_.resize(size);
        asio::buffer_copy(asio::buffer(write_copy_), buffers);
        return asio::buffer(write_copy_);
    }

    static constexpr std::size_t max_record = 16 * 1024;

    asio::ip::tcp::socket& socket_;
    SSL* ssl_;
    std::string write_copy_;  ///< flatten's copy, kept until the write completes
};

}  // namespace gateway
