#include "tds_pool/inline_io_backoff.hpp"

#include <algorithm>

namespace tds_pool {
namespace {

pool_clock::time_point from_rep(pool_clock::rep ticks) { return pool_clock::time_point(pool_clock::duration(ticks)); }

}  // namespace

bool inline_io_backoff::allowed(pool_clock::time_point now) const {
    return now >= from_rep(paused_until_.load(std::memory_order_acquire));
}

std::chrono::seconds inline_io_backoff::record_cut(pool_clock::time_point now) {
    std::lock_guard lock(cut_mutex_);
    if (!allowed(now)) return std::chrono::seconds::zero();
    if (starts_over_locked(now)) cuts_in_a_row_ = 0;
    // 60 s << 6 is past the hour: the shift stops there.
    const unsigned doublings = std::min(cuts_in_a_row_, 6u);
    ++cuts_in_a_row_;
    const auto pause = std::min<std::chrono::seconds>(first_pause * (1u << doublings), longest_pause);
    paused_until_.store((now + pause).time_since_epoch().count(), std::memory_order_release);
    return pause;
}

bool inline_io_backoff::starts_over(pool_clock::time_point now) const {
    std::lock_guard lock(cut_mutex_);
    return starts_over_locked(now);
}

bool inline_io_backoff::starts_over_locked(pool_clock::time_point now) const {
    const auto until = from_rep(paused_until_.load(std::memory_order_relaxed));
    return until == never() || (now >= until && now - until >= longest_pause);
}

}  // namespace tds_pool
