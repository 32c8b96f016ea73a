#pragma once
// The server's TLS settings, loaded once and shared by every session.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "tests/tdsd/config.hpp"

namespace tdsd {

/// An OpenSSL server context with tdsd's certificate and key, TLS 1.2 only.
class tls_context {
 public:
  /// Loads the certificate chain and key; throws std::runtime_error naming the file.
  explicit tls_context(const tls_config& config);

  /// The context new sessions are made from.
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  struct deleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  std::unique_ptr<SSL_CTX, deleter> ctx_;
};

/// `context`, then OpenSSL's queued errors (the queue is emptied), as one line.
std::string openssl_errors(std::string_view context);

}  // namespace tdsd
