#pragma once
// When a pool may run db-lib calls on its event loop again after the watchdog cut one
// (freetds/inline_io_guard.hpp: a database whose tokens did not end where its framing
// did, or a call that slept or ran past its limit). A cut starts a pause during which
// the pool reads every reply on its workers; the pause doubles with each cut, from one
// minute up to an hour, and starts over at one minute after an hour without cuts. So a
// database that keeps lying costs the loop one cut per pause (at most 200 ms to 1 s, a
// few times an hour at most), while one that stalled once, on a bad moment, gets its
// cheaper inline reads back instead of losing them until its pool is rebuilt.

#include <atomic>
#include <chrono>

#include "tds_pool/pool_state.hpp"

namespace tds_pool {

/// Thread-safe; the pool's calls on either event loop ask it and report to it.
class inline_io_backoff {
public:
    static constexpr std::chrono::seconds first_pause{60};
    static constexpr std::chrono::seconds longest_pause{3600};

    /// False while a pause runs at `now`.
    bool allowed(pool_clock::time_point now) const;
    /// Starts a pause at `now` and returns its length. A cut while a pause already runs
    /// (a call that began before it) changes nothing and returns zero.
    std::chrono::seconds record_cut(pool_clock::time_point now);

private:
    std::atomic<pool_clock::rep> paused_until_{pool_clock::time_point::min().time_since_epoch().count()};
    std::atomic<unsigned> cuts_in_a_row_{0};
};

}  // namespace tds_pool
