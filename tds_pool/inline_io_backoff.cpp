#include "tds_pool/inline_io_backoff.hpp"

#include <algorithm>

namespace tds_pool {
namespace {

pool_clock::time_point from_rep(pool_clock::rep ticks) { return pool_clock::time_point(pool_clock::duration(ticks)); }

}  // namespace

bool inline_io_backoff::allowed(pool_clock::time_point now) const {
    return now >= from_rep(paused_until_.load(std::memory_order_relaxed));
}

std::chrono::seconds inline_io_backoff::record_cut(pool_clock::time_point now) {
    const auto until = from_rep(paused_until_.load(std::memory_order_relaxed));
    if (now < until) return std::chrono::seconds::zero();
    // An hour since the last pause ended without a cut: the database is given the
    // benefit of the doubt again.
    if (until != pool_clock::time_point::min() && now - until >= longest_pause) {
        cuts_in_a_row_.store(0, std::memory_order_relaxed);
    }
    // 60 s << 6 is past the hour: the shift stops there.
    const unsigned doublings = std::min(cuts_in_a_row_.fetch_add(1, std::memory_order_relaxed), 6u);
    const auto pause = std::min<std::chrono::seconds>(first_pause * (1u << doublings), longest_pause);
    paused_until_.store((now + pause).time_since_epoch().count(), std::memory_order_relaxed);
    return pause;
}

}  // namespace tds_pool
