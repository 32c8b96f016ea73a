#pragma once
// TLS for one TDS connection on OpenSSL memory BIOs: the handshake travels inside
// PRELOGIN packets (TDS 7.x), then TLS records go straight over the socket.
#include <openssl/ssl.h>

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tdsd {

namespace asio = boost::asio;

/// The server side of one connection's TLS session; lives on the session's strand.
/// One reader and one writer may be active at once (never two of either).
class tls_channel {
 public:
  /// A new server session from `ctx` over `socket` (which must outlive it).
  tls_channel(SSL_CTX* ctx, asio::ip::tcp::socket& socket);

  /// Runs the handshake: the client's records arrive as PRELOGIN messages, ours leave as
  /// PRELOGIN packets with `spid`. Throws protocol_error when the handshake fails.
  asio::awaitable<void> handshake(std::uint16_t spid);
  /// Fills `into` with decrypted bytes; throws on socket errors, eof or a TLS failure.
  asio::awaitable<void> read_exact(std::span<std::uint8_t> into);
  /// Encrypts `data` and writes the records to the socket.
  asio::awaitable<void> write(std::span<const std::uint8_t> data);
  /// Protocol version and cipher, for the log.
  std::string description() const;

 private:
  asio::awaitable<void> fill();
  std::span<const std::uint8_t> take_output();
  asio::awaitable<void> send_handshake_output(std::uint16_t spid);

  struct deleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  asio::ip::tcp::socket& socket_;
  std::unique_ptr<SSL, deleter> ssl_;
  BIO* network_in_ = nullptr;   // owned by ssl_: bytes from the client, for OpenSSL to read
  BIO* network_out_ = nullptr;  // owned by ssl_: records OpenSSL produced, for the client
  std::array<std::uint8_t, 16 * 1024> in_buffer_{};
  std::vector<std::uint8_t> out_buffer_;
};

}  // namespace tdsd
