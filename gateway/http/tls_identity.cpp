#include "gateway/http/tls_identity.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

// TLS 1.2: forward secrecy (ECDHE) and AEAD only, as Mozilla's "intermediate" profile.
// TLS 1.3 keeps OpenSSL's default suites, which are all AEAD.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The ALPN names the gateway speaks, in its order of preference (wire format).
constexpr unsigned char alpn_protocols[] = "\x08http/1.1\x08http/1.0";

/// ALPN as nginx does it: the client's offer must contain a protocol the gateway
/// speaks, else the handshake ends with a no_application_protocol alert (RFC 7301 §3.2)
/// rather than carrying on in a protocol the client did not ask for. A client that
/// offers no ALPN at all is served HTTP/1.1 as usual.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void*) {
    unsigned char* chosen = nullptr;
    unsigned char chosen_length = 0;
    const int outcome = SSL_select_next_proto(&chosen, &chosen_length, alpn_protocols, sizeof(alpn_protocols) - 1,
                                              offered, offered_length);
    if (outcome != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    *out_length = chosen_length;
    return SSL_TLSEXT_ERR_OK;
}

/// `what` failed: the message names the file and OpenSSL's reason, then the error queue
/// is emptied so the next TLS user on this thread does not read a stale error.
[[noreturn]] void fail(const std::string& what, const boost::system::error_code& ec) {
    std::string reason = ec ? ec.message() : std::string("unknown error");
    if (const unsigned long queued = ERR_peek_last_error(); queued != 0 && !ec) {
        char text[256];
        ERR_error_string_n(queued, text, sizeof(text));
        reason = text;
    }
    ERR_clear_error();
    throw std::runtime_error(what + ": " + reason);
}

/// A private key every user may read is worth a warning; the gateway never changes its
/// mode (a group, such as the gateway's own, may be meant to read it).
void warn_if_exposed(const std::string& key_file) {
    struct stat info {};
    if (::stat(key_file.c_str(), &info) != 0) return;
    if ((info.st_mode & S_IRWXO) != 0) {
        log_warn("listen.tls.key_file is accessible to every user; chmod 600 (or 640 for a group) is advised",
                 {{"key_file", key_file}, {"mode", fmt::format("{:o}", info.st_mode & 07777)}});
    }
}

/// The leaf certificate's subject and expiry, as the log shows which one is in use.
std::string describe_certificate(SSL_CTX* ctx) {
    X509* leaf = SSL_CTX_get0_certificate(ctx);
    if (leaf == nullptr) return "none";
    char subject[256] = "";
    X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof(subject));
    std::string expiry;
    if (BIO* out = BIO_new(BIO_s_mem())) {
        ASN1_TIME_print(out, X509_get0_notAfter(leaf));
        char* data = nullptr;
        const long size = BIO_get_mem_data(out, &data);
        expiry.assign(data, static_cast<std::size_t>(size));
        BIO_free(out);
    }
    return fmt::format("{} (valid until {})", subject, expiry);
}

/// The Strict-Transport-Security value `hsts` asks for; empty when off.
std::string hsts_value(const conf::hsts_config& hsts) {
    if (!hsts.enabled) return {};
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(hsts.max_age).count();
    return fmt::format("max-age={}{}", seconds, hsts.include_subdomains ? "; includeSubDomains" : "");
}

/// The protocol and cipher policy of every HTTPS connection.
void apply_policy(asio::ssl::context& ctx) {
    SSL_CTX* native = ctx.native_handle();
    boost::system::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression,
                    ec);
    if (ec) fail("setting TLS options", ec);
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) fail("setting the TLS 1.2 ciphers", {});
    // Idle keep-alive connections then hold no read and write buffers (as nginx does).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    static constexpr unsigned char session_context[] = "tenant-gateway";
    SSL_CTX_set_session_id_context(native, session_context, sizeof(session_context) - 1);
    SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
}

}  // namespace

std::shared_ptr<const tls_identity> load_tls_identity(const conf::listen_tls_config& settings) {
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    apply_policy(ctx);
    // An encrypted key would make OpenSSL prompt on the terminal: refuse it instead.
    ctx.set_password_callback([](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
    boost::system::error_code ec;
    ctx.use_certificate_chain_file(settings.cert_file, ec);
    if (ec) fail("listen.tls.cert_file " + settings.cert_file, ec);
    ctx.use_private_key_file(settings.key_file, asio::ssl::context::pem, ec);
    if (ec) fail("listen.tls.key_file " + settings.key_file + " (an unencrypted PEM key is needed)", ec);
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        fail("listen.tls.key_file " + settings.key_file + " does not belong to the certificate", {});
    }
    warn_if_exposed(settings.key_file);
    auto identity = std::make_shared<tls_identity>(std::move(ctx));
    identity->hsts = hsts_value(settings.hsts);
    identity->certificate = describe_certificate(identity->context.native_handle());
    ERR_clear_error();
    return identity;
}

std::shared_ptr<const tls_identity> tls_identity_holder::get() const {
    std::lock_guard lock(mutex_);
    return current_;
}

bool tls_identity_holder::reload(const conf::listen_tls_config& settings) {
    std::shared_ptr<const tls_identity> next;
    try {
        next = load_tls_identity(settings);
    } catch (const std::exception& e) {
        log_error("TLS certificate reload failed; new handshakes keep the certificate in use",
                  {{"error", e.what()}});
        return false;
    }
    const auto certificate = next->certificate;
    {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }
    // Logged once in force: whoever waits for this line may rely on new handshakes.
    log_info("TLS certificate loaded for new handshakes", {{"certificate", certificate}});
    return true;
}

}  // namespace gateway
