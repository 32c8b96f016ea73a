#include "tests/tdsd/tls_channel.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <openssl/err.h>

#include <algorithm>

#include "tests/tdsd/packet.hpp"
#include "tests/tdsd/tls_context.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

// Several records per socket write, but a large reply never sits encrypted whole in memory.
constexpr std::size_t write_chunk = 64 * 1024;

}  // namespace

tls_channel::tls_channel(SSL_CTX* ctx, asio::ip::tcp::socket& socket) : socket_(socket), ssl_(SSL_new(ctx)) {
  if (!ssl_) throw std::runtime_error(openssl_errors("cannot create a TLS session"));
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_.get(), network_in_, network_out_);
  SSL_set_accept_state(ssl_.get());
}

asio::awaitable<void> tls_channel::handshake(std::uint16_t spid) {
  for (;;) {
    const message msg = co_await read_message(socket_);
    if (msg.type != packet_type::prelogin) {
      throw protocol_error(fmt::format("expected a TLS handshake in a PRELOGIN packet, got packet type 0x{:02x}",
                                       static_cast<int>(msg.type)));
    }
    BIO_write(network_in_, msg.payload.data(), static_cast<int>(msg.payload.size()));
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_.get());
    if (rc != 1 && SSL_get_error(ssl_.get(), rc) != SSL_ERROR_WANT_READ) {
      const auto why = openssl_errors("TLS handshake failed");
      // The alert, if OpenSSL wrote one, tells the client why; it may be gone already.
      try {
        co_await send_handshake_output(spid);
      } catch (const boost::system::system_error&) {
      }
      throw protocol_error(why);
    }
    co_await send_handshake_output(spid);
    if (rc == 1) co_return;
  }
}

asio::awaitable<void> tls_channel::send_handshake_output(std::uint16_t spid) {
  const auto records = take_output();
  if (records.empty()) co_return;
  const auto framed = frame_message(packet_type::prelogin, records, spid);
  co_await asio::async_write(socket_, asio::buffer(framed), asio::use_awaitable);
}

asio::awaitable<void> tls_channel::read_exact(std::span<std::uint8_t> into) {
  std::size_t done = 0;
  while (done < into.size()) {
    std::size_t n = 0;
    ERR_clear_error();
    const int rc = SSL_read_ex(ssl_.get(), into.data() + done, into.size() - done, &n);
    if (rc == 1) {
      done += n;
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_ZERO_RETURN) throw boost::system::system_error(asio::error::eof);
    if (error != SSL_ERROR_WANT_READ) throw protocol_error(openssl_errors("TLS read failed"));
    co_await fill();
  }
}

asio::awaitable<void> tls_channel::fill() {
  const std::size_t n = co_await socket_.async_read_some(asio::buffer(in_buffer_), asio::use_awaitable);
  BIO_write(network_in_, in_buffer_.data(), static_cast<int>(n));
}

asio::awaitable<void> tls_channel::write(std::span<const std::uint8_t> data) {
  for (std::size_t offset = 0; offset < data.size();) {
    const std::size_t n = std::min(write_chunk, data.size() - offset);
    std::size_t written = 0;
    ERR_clear_error();
    // A memory BIO takes everything: SSL_write never waits for the socket here.
    if (SSL_write_ex(ssl_.get(), data.data() + offset, n, &written) != 1) {
      throw protocol_error(openssl_errors("TLS write failed"));
    }
    offset += written;
    const auto records = take_output();
    co_await asio::async_write(socket_, asio::buffer(records.data(), records.size()), asio::use_awaitable);
  }
}

std::span<const std::uint8_t> tls_channel::take_output() {
  const std::size_t pending = BIO_ctrl_pending(network_out_);
  out_buffer_.resize(pending);
  if (pending > 0) BIO_read(network_out_, out_buffer_.data(), static_cast<int>(pending));
  return out_buffer_;
}

std::string tls_channel::description() const {
  return fmt::format("{} {}", SSL_get_version(ssl_.get()), SSL_get_cipher_name(ssl_.get()));
}

}  // namespace tdsd
