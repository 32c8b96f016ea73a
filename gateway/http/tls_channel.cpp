#include "gateway/http/tls_channel.hpp"

#include <cerrno>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>

namespace gateway {

tls_channel::tls_channel(asio::ip::tcp::socket& socket, SSL_CTX* context)
    : socket_(socket), ssl_(SSL_new(context)) {
    if (ssl_ == nullptr) throw std::runtime_error("SSL_new failed");
    // OpenSSL's own recv and send must not block the event loop.
    socket_.native_non_blocking(true);
    SSL_set_fd(ssl_, socket_.native_handle());  // a socket BIO that leaves the fd open
    SSL_set_accept_state(ssl_);
    // A write may return after some records (as a socket's write_some does), and is
    // retried from wherever its buffer then lies.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read whole records (and what follows) in one recv, not header then body.
    SSL_set_read_ahead(ssl_, 1);
}

tls_channel::~tls_channel() { SSL_free(ssl_); }

int tls_channel::handshake_step::operator()(SSL* ssl, std::size_t& n) const {
    n = 0;
    return SSL_do_handshake(ssl);
}

int tls_channel::shutdown_step::operator()(SSL* ssl, std::size_t& n) const {
    n = 0;
    // 0: our close_notify is out, the client's not yet read; enough, the caller lingers.
    const int result = SSL_shutdown(ssl);
    return result == 0 ? 1 : result;
}

int tls_channel::read_step::operator()(SSL* ssl, std::size_t& n) const {
    n = 0;
    if (buffer.size() == 0) return 1;
    return SSL_read_ex(ssl, buffer.data(), buffer.size(), &n);
}

int tls_channel::write_step::operator()(SSL* ssl, std::size_t& n) const {
    n = 0;
    if (buffer.size() == 0) return 1;
    return SSL_write_ex(ssl, buffer.data(), buffer.size(), &n);
}

tls_channel::outcome tls_channel::classify(int result, beast::error_code& ec) {
    if (result > 0) return outcome::done;
    const int error = SSL_get_error(ssl_, result);
    switch (error) {
        case SSL_ERROR_WANT_READ:
            return outcome::want_read;
        case SSL_ERROR_WANT_WRITE:
            return outcome::want_write;
        case SSL_ERROR_ZERO_RETURN:
            ec = asio::error::eof;  // the client's close_notify: a clean end
            return outcome::failed;
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {
                ec = errno != 0 ? beast::error_code(errno, boost::system::system_category())
                                : beast::error_code(asio::ssl::error::stream_truncated);
                return outcome::failed;
            }
            break;
        default:
            break;
    }
    const unsigned long reason = ERR_get_error();
    if (ERR_GET_REASON(reason) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::ssl::error::stream_truncated;  // closed without close_notify
    } else if (reason != 0) {
        ec = beast::error_code(static_cast<int>(reason), asio::error::get_ssl_category());
    } else {
        ec = asio::ssl::error::stream_truncated;
    }
    ERR_clear_error();
    return outcome::failed;
}

}  // namespace gateway
