#include "tds_pool/tls/tls_channel.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include <fmt/format.h>

namespace tds_pool::tls {
namespace {

struct ctx_deleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, ctx_deleter>;

std::string openssl_error_text() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "TLS error";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    return text;
}

bool is_ip_literal(const std::string& name) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

std::variant<ctx_ptr, std::string> make_context(const conf::tls_settings& settings) {
    ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        return openssl_error_text();
    }
    // TDS 7.x carries TLS 1.2 at most: a 1.3 server's post-handshake messages would arrive
    // after both sides left PRELOGIN framing.
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (settings.trust_server_certificate) {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
        return ctx;
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const bool loaded = settings.ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                            : SSL_CTX_load_verify_locations(ctx.get(), settings.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
        ERR_clear_error();
        return settings.ca_file.empty()
                   ? std::string("the system trust store cannot be read")
                   : fmt::format("ca_file {} cannot be read as PEM certificates", settings.ca_file);
    }
    return ctx;
}

// One context per (trust, CA file), reused for a minute: loading the system trust store
// parses every CA certificate in it, milliseconds of CPU that every open would otherwise
// pay; a CA file replaced on disk is read again within that minute. The keys come from
// the configuration (the registry has no CA column), so the map stays small.
constexpr std::chrono::seconds context_reuse{60};

std::variant<std::shared_ptr<SSL_CTX>, std::string> shared_context(const conf::tls_settings& settings) {
    struct cached {
        std::shared_ptr<SSL_CTX> context;
        std::chrono::steady_clock::time_point made;
    };
    static std::mutex mutex;
    static std::map<std::pair<bool, std::string>, cached> contexts;
    const auto key = std::make_pair(settings.trust_server_certificate,
                                    settings.trust_server_certificate ? std::string() : settings.ca_file);
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex);
        const auto found = contexts.find(key);
        if (found != contexts.end() && now - found->second.made < context_reuse) {
            return found->second.context;
        }
    }
    auto made = make_context(settings);
    if (auto* reason = std::get_if<std::string>(&made)) {
        return std::move(*reason);
    }
    std::shared_ptr<SSL_CTX> context(std::get<ctx_ptr>(made).release(), SSL_CTX_free);
    std::lock_guard lock(mutex);
    contexts[key] = cached{context, now};
    return context;
}

/// Sets the name the certificate must carry and the SNI the server sees.
bool expect_name(SSL* ssl, const std::string& name, bool verify) {
    if (!is_ip_literal(name) && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
        return false;
    }
    if (!verify) {
        return true;
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1
                               : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) == 1;
}

const char* kind_of(long verify_result) {
    switch (verify_result) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return "certificate_expired";
    case X509_V_ERR_CERT_NOT_YET_VALID: return "certificate_not_yet_valid";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return "name_mismatch";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED: return "unknown_ca";
    default: return "certificate_invalid";
    }
}

}  // namespace

void tls_channel::ssl_deleter::operator()(SSL* ssl) const { SSL_free(ssl); }

std::variant<tls_channel, std::string> tls_channel::create(const conf::tls_settings& settings,
                                                           const std::string& server) {
    auto context = shared_context(settings);
    if (auto* reason = std::get_if<std::string>(&context)) {
        return *reason;
    }
    SSL* ssl = SSL_new(std::get<std::shared_ptr<SSL_CTX>>(context).get());  // holds its own reference
    if (ssl == nullptr) {
        return openssl_error_text();
    }
    tls_channel channel(ssl, !settings.trust_server_certificate);
    const std::string& name =
        settings.host_name_in_certificate.empty() ? server : settings.host_name_in_certificate;
    if (!expect_name(ssl, name, channel.verifies_)) {
        return fmt::format("'{}' cannot be checked against a certificate", name);
    }
    return channel;
}

tls_channel::tls_channel(SSL* ssl, bool verifies) : ssl_(ssl), verifies_(verifies) {
    // Memory BIOs: the caller moves ciphertext, through PRELOGIN packets or a socket.
    SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(ssl);
}

tls_channel::tls_channel(tls_channel&&) noexcept = default;
tls_channel& tls_channel::operator=(tls_channel&&) noexcept = default;
tls_channel::~tls_channel() = default;

handshake_step tls_channel::advance_handshake() {
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) {
        return handshake_step::done;
    }
    if (SSL_get_error(ssl_.get(), result) == SSL_ERROR_WANT_READ) {
        return handshake_step::want_input;
    }
    record_failure(result);
    return handshake_step::failed;
}

void tls_channel::record_failure(int result) {
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verifies_ && verify != X509_V_OK) {
        certificate_rejected_ = true;
        failure_reason_ = X509_verify_cert_error_string(verify);
        rejection_kind_ = kind_of(verify);
        ERR_clear_error();
        return;
    }
    failure_reason_ = SSL_get_error(ssl_.get(), result) == SSL_ERROR_SSL
                          ? openssl_error_text()
                          : std::string("the server ended the TLS handshake");
    ERR_clear_error();
}

void tls_channel::feed(std::span<const std::uint8_t> ciphertext) {
    BIO_write(SSL_get_rbio(ssl_.get()), ciphertext.data(), static_cast<int>(ciphertext.size()));
}

std::vector<std::uint8_t> tls_channel::take_output() {
    std::vector<std::uint8_t> bytes;
    take_output(bytes);
    return bytes;
}

void tls_channel::take_output(std::vector<std::uint8_t>& into) {
    BIO* out = SSL_get_wbio(ssl_.get());
    into.resize(static_cast<std::size_t>(BIO_ctrl_pending(out)));
    if (!into.empty()) {
        BIO_read(out, into.data(), static_cast<int>(into.size()));
    }
}

bool tls_channel::encrypt(std::span<const std::uint8_t> plain) {
    if (plain.empty()) {
        return true;
    }
    const int written = SSL_write(ssl_.get(), plain.data(), static_cast<int>(plain.size()));
    if (written <= 0) {
        ERR_clear_error();
        return false;
    }
    return true;
}

long tls_channel::decrypt(std::span<std::uint8_t> out) {
    const int read = SSL_read(ssl_.get(), out.data(), static_cast<int>(out.size()));
    if (read > 0) {
        return read;
    }
    const int error = SSL_get_error(ssl_.get(), read);
    ERR_clear_error();
    return error == SSL_ERROR_WANT_READ ? 0 : -1;
}

std::string tls_channel::protocol() const { return SSL_get_version(ssl_.get()); }

}  // namespace tds_pool::tls
