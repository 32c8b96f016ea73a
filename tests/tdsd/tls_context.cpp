#include "tests/tdsd/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

#include <stdexcept>
#include <string>

namespace tdsd {

tls_context::tls_context(const tls_config& config) : ctx_(SSL_CTX_new(TLS_server_method())) {
  if (!ctx_) throw std::runtime_error(openssl_errors("cannot create a TLS context"));
  SSL_CTX* ctx = ctx_.get();
  // TLS 1.3 sends session tickets after the handshake, outside the PRELOGIN exchange
  // the TDS 7.x clients wrap it in: tedious caps itself at 1.2 for that reason.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  // Resumption or renegotiation would change the number of handshake round trips the
  // clients expect (one PRELOGIN reply per PRELOGIN message); neither is needed here.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    throw std::runtime_error(openssl_errors(fmt::format("cannot load certificate {}", config.cert_file)));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error(openssl_errors(fmt::format("cannot load key {}", config.key_file)));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error(fmt::format("key {} does not match certificate {}", config.key_file, config.cert_file));
  }
}

std::string openssl_errors(std::string_view context) {
  std::string out(context);
  while (const unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    out += fmt::format("{}{}", out.empty() ? "" : ": ", text);
  }
  return out;
}

}  // namespace tdsd
