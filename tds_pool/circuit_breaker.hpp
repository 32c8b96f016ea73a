#pragma once
// Per-tenant circuit breaker over connect failures. After failure_threshold consecutive
// failures it opens: attempts fail fast with a retry-after until a jittered exponential
// back-off (base_backoff doubling up to max_backoff) has passed; then exactly one
// half-open probe may try, and its success closes the breaker. No I/O; the time comes
// from an injected clock (the pool's, shared with its pool_state), so tests need no sleep.

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>

#include "conf/config.hpp"

namespace tds_pool {

/// Where the breaker stands.
enum class breaker_state { closed, open, half_open };

/// Stable lower-case name ("closed", "open", "half_open").
std::string_view breaker_state_name(breaker_state s) noexcept;

/// Failure counting and back-off for one tenant's connection attempts.
class circuit_breaker {
public:
    using time_point = std::chrono::steady_clock::time_point;
    using clock_function = std::function<time_point()>;

    /// A closed breaker reading the time from `clock`; `seed` makes the jitter
    /// reproducible in tests.
    circuit_breaker(conf::breaker_config config, clock_function clock, std::uint64_t seed = 0x5eed);

    /// May a connection attempt start now? When the back-off has passed this turns the
    /// breaker half-open and grants the single probe.
    bool try_attempt();
    /// An attempt succeeded: closed, counters reset.
    void on_success();
    /// An attempt failed: counts toward the threshold, or re-opens a half-open breaker.
    void on_failure();
    /// New threshold and back-off (configuration reload), from the next failure on; the
    /// state, the counts and a running back-off are kept.
    void reconfigure(conf::breaker_config config) { config_ = config; }

    breaker_state state() const { return state_; }
    /// Time until the next attempt may start (zero unless open).
    std::chrono::milliseconds retry_after() const;
    /// Consecutive failures since the last success.
    unsigned consecutive_failures() const { return failures_; }

private:
    void trip(time_point now);

    conf::breaker_config config_;
    clock_function clock_;
    std::minstd_rand rng_;
    breaker_state state_ = breaker_state::closed;
    unsigned failures_ = 0;
    unsigned trips_ = 0;  ///< openings since the last success: the back-off exponent
    bool probe_in_flight_ = false;
    time_point retry_at_{};
};

}  // namespace tds_pool
