#pragma once
// Signed bearer tokens: JWT with HS256 (libjwt), carrying the tenant code (claim name
// from tenant_resolution.token_claim), the user id (`sub`), `iat`, `exp` and `iss`.
// Verification pins the algorithm to HS256 (a token declaring `none` or any other
// algorithm is refused), checks the signature against the signing key and then each
// previous key (a routine key rotation), the issuer, the expiry (exact), `nbf` and
// `iat` (when present, no later than now plus the clock leeway, as RFC 7519 readers
// allow for clock skew), and requires the tenant and subject claims.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/auth/verified_token_cache.hpp"
#include "gateway/http/access_gate.hpp"

namespace gateway {

/// Why a token was refused (for logs; clients only ever see 401 unauthorized).
struct token_problem {
    std::string reason;
};

/// A newly issued token.
struct issued_token {
    std::string token;
    std::int64_t expires_at = 0;  ///< seconds since the epoch
};

/// The keys and rules of a token_authority.
struct token_settings {
    std::string signing_key;                 ///< signs new tokens, verifies too
    std::vector<std::string> previous_keys;  ///< verify only
    std::string issuer = "tenant-gateway";
    std::string tenant_claim = "tenant";
    std::chrono::seconds ttl{3600};
    std::chrono::seconds clock_leeway{30};   ///< for nbf and iat, never for exp
};

/// Issues tokens with one HMAC key and verifies them with it or a previous key;
/// immutable but for its cache of verified tokens, safe to share between threads.
class token_authority {
public:
    /// Minimum key length: HS256 wants a key at least as long as its 256-bit output.
    static constexpr std::size_t min_key_bytes = 32;

    /// Verified tokens remembered until they expire: a bound on memory (at most about
    /// 10 MB, see verified_token_cache), not on signed-in users, whose tokens are
    /// verified in full again once dropped.
    static constexpr std::size_t cached_tokens = 4096;

    /// Throws std::invalid_argument when a key is shorter than min_key_bytes.
    explicit token_authority(token_settings settings);

    /// One key and the default clock leeway; throws as above.
    token_authority(std::string key, std::string issuer, std::string tenant_claim,
                    std::chrono::seconds ttl);

    /// A token for `subject` of `tenant`, valid from `now` for the configured ttl.
    issued_token issue(std::string_view tenant, std::string_view subject,
                       std::chrono::system_clock::time_point now) const;

    /// The token's claims when it is valid at `now`, else why not.
    std::variant<verified_token, token_problem> verify(
        std::string_view token, std::chrono::system_clock::time_point now) const;

    /// Name of the claim carrying the tenant code.
    const std::string& tenant_claim() const noexcept { return tenant_claim_; }

private:
    /// The full check of a token not in the cache; `now` in seconds since the epoch.
    std::variant<verified_token, token_problem> verify_signed(std::string_view token, std::int64_t now) const;

    std::vector<std::string> keys_;  ///< the signing key first, then the previous keys
    std::string issuer_;
    std::string tenant_claim_;
    std::chrono::seconds ttl_;
    std::chrono::seconds clock_leeway_;
    verified_token_cache verified_;
};

/// Seconds since the epoch, the unit of iat and exp.
std::int64_t epoch_seconds(std::chrono::system_clock::time_point t);

/// "2026-01-01T10:00:00Z" for a time in seconds since the epoch.
std::string iso8601_utc(std::int64_t epoch_seconds);

/// The token of an "Authorization: Bearer <token>" value; empty when it is not one.
std::string_view bearer_token(std::string_view authorization) noexcept;

}  // namespace gateway
