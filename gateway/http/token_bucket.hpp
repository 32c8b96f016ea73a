#pragma once
// The token bucket arithmetic of the tenant limits, free of locks and clocks: the caller
// passes the time, so tests step it by hand.

#include <chrono>
#include <cstdint>

namespace gateway {

/// A bucket's size and refill rate; per_second 0 is unlimited. With shared rate limits
/// this instance holds `share` of the rule: both the rate and the size are scaled by it.
struct bucket_rule {
    std::uint32_t per_second = 0;
    std::uint32_t burst = 0;  ///< 0: per_second
    double share = 1.0;       ///< this instance's part, in (0, 1]

    /// True when the rule limits anything.
    bool limited() const noexcept { return per_second > 0; }
    /// Tokens a full bucket holds, all instances together.
    std::uint32_t capacity() const noexcept { return burst > 0 ? burst : per_second; }
    /// This instance's tokens per second.
    double local_rate() const noexcept { return per_second * share; }
    /// This instance's bucket size: at least one token, so a small share still admits.
    double local_capacity() const noexcept { return capacity() * share < 1.0 ? 1.0 : capacity() * share; }
};

/// The state of one bucket.
struct token_bucket {
    using clock = std::chrono::steady_clock;
    double tokens = -1;      ///< negative: never used, starts full
    clock::time_point updated{};
};

/// What one take decided, with the figures of the RateLimit headers.
struct bucket_verdict {
    bool allowed = true;
    std::uint32_t remaining = 0;    ///< whole tokens left after this take
    std::uint32_t reset_seconds = 0;  ///< until the bucket is full again (0: full)
    std::uint32_t retry_after = 0;  ///< refused: whole seconds until a token, at least 1
};

/// Refills `bucket` for the time since its last use under `rule` and takes one token
/// when there is one. `rule` must be limited().
bucket_verdict take_token(token_bucket& bucket, const bucket_rule& rule, token_bucket::clock::time_point now);

}  // namespace gateway
