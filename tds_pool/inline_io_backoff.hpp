#pragma once
// When a tenant's pools may run db-lib calls on an event loop again after the watchdog
// cut one (freetds/inline_io_guard.hpp: a database whose tokens did not end where its
// framing did, or a call that slept or ran past its limit). A cut starts a pause during
// which the tenant's replies are read on the workers; the pause doubles with each cut,
// from one minute up to an hour, and the next one is a minute again once an hour has
// passed since a pause ended without a cut. So a database that keeps lying costs each
// event loop at most one cut per pause, while one that stalled once, on a bad moment,
// gets its cheaper inline reads back instead of losing them for the pool's lifetime.
// One per tenant, kept by the pool manager, so a pool rebuilt (unused, retargeted)
// does not start the tenant over at a minute.

#include <atomic>
#include <chrono>
#include <mutex>

#include "tds_pool/pool_state.hpp"

namespace tds_pool {

/// Thread-safe; the tenant's calls on every event loop ask it and report to it.
class inline_io_backoff {
public:
    static constexpr std::chrono::seconds first_pause{60};
    static constexpr std::chrono::seconds longest_pause{3600};

    /// False while a pause runs at `now`. Lock-free: asked before every inline call.
    bool allowed(pool_clock::time_point now) const;
    /// Starts a pause at `now` and returns its length. A cut while a pause already runs
    /// (a call that began before it, on another loop) changes nothing and returns zero.
    std::chrono::seconds record_cut(pool_clock::time_point now);
    /// True when the next cut would start over at a minute (none yet, or an hour since
    /// the last pause ended): nothing is lost by forgetting this tenant's backoff.
    bool starts_over(pool_clock::time_point now) const;

private:
    static pool_clock::time_point never() { return pool_clock::time_point::min(); }
    bool starts_over_locked(pool_clock::time_point now) const;

    std::atomic<pool_clock::rep> paused_until_{never().time_since_epoch().count()};
    mutable std::mutex cut_mutex_;  ///< one cut at a time (they are rare)
    unsigned cuts_in_a_row_ = 0;    ///< guarded by cut_mutex_
};

}  // namespace tds_pool
