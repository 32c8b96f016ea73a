#pragma once
// The cap on connections being opened at once by this instance, all tenants' pools
// together (pools.max_opening_total; pools.max_opening caps each pool). After a failover
// every pool of the instance wants connections at the same moment; without this cap
// they would all log in at once. A pool refused a turn asks to be woken and opens later
// (its waiters keep waiting, bounded by their acquire deadline as for any open).

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace tds_pool {

/// Counts opens in progress against one cap; thread-safe.
class open_throttle {
public:
    /// 0 means no cap.
    explicit open_throttle(std::size_t max_opening);

    /// Takes a turn; false when max_opening opens are running (call wait_for_turn).
    bool try_begin();
    /// An open ended (it succeeded or failed): its turn goes back and every pool waiting
    /// for one is woken to try again.
    void end();
    /// `wake` runs (on the thread calling end) once a turn was given back; it should
    /// post to its pool's strand, never do the work itself.
    void wait_for_turn(std::function<void()> wake);
    /// A new cap (configuration reload); opens above a lowered cap finish.
    void set_cap(std::size_t max_opening);

    /// Opens in progress.
    std::size_t running() const;
    /// The cap in force (0: none).
    std::size_t cap() const;

private:
    mutable std::mutex mutex_;
    std::size_t max_opening_;
    std::size_t running_ = 0;
    std::vector<std::function<void()>> waiting_;
};

}  // namespace tds_pool
