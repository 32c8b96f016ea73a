#pragma once
// The two clocks of a registry under stress, free of I/O and of real time so unit tests
// are deterministic: the token bucket that bounds on-demand look-ups of unknown codes,
// and the jittered exponential backoff between load attempts while the registry is down.

#include <chrono>
#include <cstddef>

namespace tds_pool {

/// A token bucket: `rate` tokens a second, at most `burst` held; starts full.
class lookup_limiter {
public:
    using clock = std::chrono::steady_clock;

    /// A rate of 0 refuses every take.
    lookup_limiter(std::size_t rate, std::size_t burst, clock::time_point now);

    /// Takes one token when one is left at `now`.
    bool try_take(clock::time_point now);

private:
    void refill(clock::time_point now);

    double rate_;
    double burst_;
    double tokens_;
    clock::time_point last_;
};

/// Waits growing from `base` to `max`: attempt n waits a uniformly drawn time between
/// half and all of min(max, base * 2^n) ("equal jitter"), so many gateways restarted
/// together do not knock on the registry in step.
class retry_backoff {
public:
    using duration = std::chrono::milliseconds;

    retry_backoff(duration base, duration max);

    /// The wait before the next attempt; `unit` is a random draw in [0, 1).
    duration next(double unit);
    /// Back to `base` after a success.
    void reset() noexcept { attempt_ = 0; }
    /// Waits handed out since the last reset.
    unsigned attempts() const noexcept { return attempt_; }

private:
    duration base_;
    duration max_;
    unsigned attempt_ = 0;
};

}  // namespace tds_pool
