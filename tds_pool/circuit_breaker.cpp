#include "tds_pool/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace tds_pool {

std::string_view breaker_state_name(breaker_state s) noexcept {
    switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
    }
    return "closed";
}

circuit_breaker::circuit_breaker(conf::breaker_config config, clock_function clock, std::uint64_t seed)
    : config_(config), clock_(std::move(clock)), rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646U + 1U)) {}

bool circuit_breaker::try_attempt() {
    switch (state_) {
    case breaker_state::closed: return true;
    case breaker_state::open:
        if (clock_() < retry_at_) {
            return false;
        }
        state_ = breaker_state::half_open;
        probe_in_flight_ = true;
        return true;
    case breaker_state::half_open:
        // Only one probe at a time: a dead server gets one connect, not a stampede.
        if (probe_in_flight_) {
            return false;
        }
        probe_in_flight_ = true;
        return true;
    }
    return false;
}

void circuit_breaker::on_success() {
    state_ = breaker_state::closed;
    failures_ = 0;
    trips_ = 0;
    probe_in_flight_ = false;
}

void circuit_breaker::on_failure() {
    ++failures_;
    if (state_ == breaker_state::half_open ||
        (state_ == breaker_state::closed && failures_ >= std::max(1U, config_.failure_threshold))) {
        trip(clock_());
    }
}

void circuit_breaker::trip(time_point now) {
    ++trips_;
    const auto base = std::max<std::int64_t>(1, config_.base_backoff.count());
    const auto cap = std::max<std::int64_t>(base, config_.max_backoff.count());
    const unsigned shift = std::min(trips_ - 1, 30U);
    const std::int64_t backoff = std::min<std::int64_t>(cap, base << shift);
    // Jitter in [backoff/2, backoff]: tenants that failed together do not retry together.
    std::uniform_int_distribution<std::int64_t> jitter(backoff / 2, backoff);
    retry_at_ = now + std::chrono::milliseconds(jitter(rng_));
    state_ = breaker_state::open;
    probe_in_flight_ = false;
}

std::chrono::milliseconds circuit_breaker::retry_after() const {
    const auto now = clock_();
    if (state_ != breaker_state::open || now >= retry_at_) {
        return std::chrono::milliseconds{0};
    }
    return std::chrono::ceil<std::chrono::milliseconds>(retry_at_ - now);
}

}  // namespace tds_pool
