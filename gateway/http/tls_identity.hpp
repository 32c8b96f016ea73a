#pragma once
// What an HTTPS handshake presents: the certificate chain and key, the protocol and
// cipher policy, ALPN, and the HSTS field its connection's responses carry. Made whole
// from the configuration, then never changed: a reload makes a new one for new
// handshakes, and a connection keeps the one it began with (its SSL holds that context).

#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "conf/config.hpp"
#include "gateway/http/http_types.hpp"

namespace gateway {

/// One loaded certificate and key with the server's TLS policy.
struct tls_identity {
    explicit tls_identity(asio::ssl::context ctx) : context(std::move(ctx)) {}
    /// Handed to each connection's SSL; Asio wants it non-const, nothing changes it.
    mutable asio::ssl::context context;
    std::string hsts;         ///< the Strict-Transport-Security value; empty when off
    std::string certificate;  ///< the leaf's subject and expiry, for the log
};

/// Reads `settings.cert_file` and `key_file` into a new server context: TLS 1.2 and 1.3
/// only, TLS 1.2 limited to ECDHE key exchange with AEAD ciphers, ALPN http/1.1 (or
/// http/1.0), no renegotiation, no compression. Throws std::runtime_error saying which
/// file failed and OpenSSL's reason; never key material.
std::shared_ptr<const tls_identity> load_tls_identity(const conf::listen_tls_config& settings);

/// The identity new handshakes use; swapped by reload(). Thread-safe.
class tls_identity_holder {
public:
    explicit tls_identity_holder(std::shared_ptr<const tls_identity> first) : current_(std::move(first)) {}

    std::shared_ptr<const tls_identity> get() const;

    /// Loads `settings` afresh (a renewed certificate) and puts it in use for new
    /// handshakes; on failure logs the reason and keeps the one in use. True on success.
    bool reload(const conf::listen_tls_config& settings);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const tls_identity> current_;
};

}  // namespace gateway
