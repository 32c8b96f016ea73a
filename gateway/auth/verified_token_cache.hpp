#pragma once
// The tokens a token_authority has already verified, kept until they expire. A signed-in
// client sends the same bearer token with every request, and a full verification (base64,
// JSON claims, HMAC) was the largest single cost of a signed-in request; a hit is one hash
// lookup and a copy of the claims.
//
// Only tokens that passed every check are kept, and a passed check cannot fail later
// except by expiry (nbf and iat only move further into the past), so a hit is as good as a
// verification until `expires_at`, which every lookup checks. The cache belongs to one
// authority: a key rotation builds a new authority, and with it an empty cache.
// Bounded: at most `capacity` entries, each of a token no longer than max_token_bytes
// (its claims are parts of it), so about 2.5 kB an entry at worst; a full shard first
// drops what has expired, then the entry it finds first. Longer tokens are never kept.

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/http/access_gate.hpp"

namespace gateway {

class verified_token_cache {
public:
    /// Longest token kept; ours are about 250 bytes.
    static constexpr std::size_t max_token_bytes = 1024;

    /// Entries kept at most (whole cache); 0 turns the cache off.
    explicit verified_token_cache(std::size_t capacity);

    /// The claims of `token` when it was verified and has not expired at `now` (seconds
    /// since the epoch).
    std::optional<verified_token> find(std::string_view token, std::int64_t now) const;

    /// Keeps `claims`, the result of a successful verification of `token`.
    void remember(std::string_view token, const verified_token& claims, std::int64_t now) const;

    /// Entries held now (all shards).
    std::size_t size() const;

private:
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, verified_token, text_hash, std::equal_to<>> entries;
    };
    static constexpr std::size_t shard_count = 8;  ///< I/O threads rarely meet on one lock

    shard& shard_of(std::string_view token) const noexcept;
    static void make_room(shard& s, std::size_t limit, std::int64_t now);

    std::size_t per_shard_;
    mutable std::array<shard, shard_count> shards_;
};

}  // namespace gateway
