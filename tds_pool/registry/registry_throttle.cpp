#include "tds_pool/registry/registry_throttle.hpp"

#include <algorithm>

namespace tds_pool {

lookup_limiter::lookup_limiter(std::size_t rate, std::size_t burst, clock::time_point now)
    : rate_(static_cast<double>(rate)),
      burst_(static_cast<double>(std::max<std::size_t>(burst, 1))),
      tokens_(rate == 0 ? 0.0 : burst_),
      last_(now) {}

void lookup_limiter::refill(clock::time_point now) {
    if (now <= last_) return;
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
}

bool lookup_limiter::try_take(clock::time_point now) {
    if (rate_ <= 0) return false;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
}

retry_backoff::retry_backoff(duration base, duration max)
    : base_(std::max(base, duration(1))), max_(std::max(max, base_)) {}

retry_backoff::duration retry_backoff::next(double unit) {
    // base * 2^attempt, without overflowing: stop doubling once max is reached
    duration cap = base_;
    for (unsigned i = 0; i < attempt_ && cap < max_; ++i) cap *= 2;
    cap = std::min(cap, max_);
    ++attempt_;
    const double draw = std::clamp(unit, 0.0, 1.0);
    const auto half = cap / 2;
    return half + duration(static_cast<duration::rep>(static_cast<double>((cap - half).count()) * draw));
}

}  // namespace tds_pool
