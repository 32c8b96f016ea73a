#pragma once
// One client TLS session driven through memory BIOs: ciphertext goes in and comes out as
// byte buffers, so the same session serves both the handshake (carried inside PRELOGIN
// packets) and, after it, the raw TLS stream that the relay pumps. Not thread-safe: one
// thread (the opener, then the relay's strand) drives it at a time.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "conf/config.hpp"

typedef struct ssl_st SSL;

namespace tds_pool::tls {

/// What a handshake step left to do.
enum class handshake_step { done, want_input, failed };

class tls_channel {
public:
    /// A session for a server dialled as `server`, verified as `settings` say (TLS 1.2,
    /// the version SQL Server speaks inside TDS 7.x); the reason when it cannot be set up
    /// (an unreadable ca_file, say).
    static std::variant<tls_channel, std::string> create(const conf::tls_settings& settings,
                                                         const std::string& server);

    tls_channel(tls_channel&&) noexcept;
    tls_channel& operator=(tls_channel&&) noexcept;
    ~tls_channel();

    /// Runs the handshake as far as the input so far allows; take_output() then holds
    /// what to send.
    handshake_step advance_handshake();
    /// Ciphertext received from the server.
    void feed(std::span<const std::uint8_t> ciphertext);
    /// Ciphertext to send to the server (drains it).
    std::vector<std::uint8_t> take_output();
    /// The same into `into`, whose capacity is reused (the relay's buffer of each direction).
    void take_output(std::vector<std::uint8_t>& into);
    /// Encrypts `plain` (its ciphertext is then in take_output()); false when the session
    /// is broken.
    bool encrypt(std::span<const std::uint8_t> plain);
    /// Decrypts into `out`: the bytes written, 0 when more input is needed, -1 when the
    /// server closed the session or it broke.
    long decrypt(std::span<std::uint8_t> out);

    /// After a failed handshake: true when the certificate was what failed.
    bool certificate_rejected() const { return certificate_rejected_; }
    /// After a failed handshake: why, in OpenSSL's words ("certificate has expired").
    const std::string& failure_reason() const { return failure_reason_; }
    /// After a rejected certificate: the kind, as a metrics label ("certificate_expired",
    /// "certificate_not_yet_valid", "name_mismatch", "unknown_ca", "certificate_invalid").
    const char* rejection_kind() const { return rejection_kind_; }
    /// True when the certificate was checked (chain, dates and name).
    bool verifies() const { return verifies_; }
    /// The negotiated protocol ("TLSv1.2").
    std::string protocol() const;

private:
    struct ssl_deleter {
        void operator()(SSL* ssl) const;
    };
    explicit tls_channel(SSL* ssl, bool verifies);
    void record_failure(int result);

    std::unique_ptr<SSL, ssl_deleter> ssl_;
    bool verifies_ = false;
    bool certificate_rejected_ = false;
    std::string failure_reason_;
    const char* rejection_kind_ = "certificate_invalid";
};

}  // namespace tds_pool::tls
