#pragma once
// The I/O-free state machine of one tenant's pool. A connection's state is the list it
// is in (opening, idle, busy, resetting, closed) and change_state is the one function that moves it
// between lists, as PgBouncer's change_server_state does. Time comes from an injected
// clock, so every rule (LIFO reuse, idle time-out, lifetime, validation, min size, waiter
// cap, draining) is unit-tested deterministically. The owner drains the closed list and
// disposes of the connections (and logs each close reason) outside this class.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tds_pool/pooled_resource.hpp"

namespace tds_pool {

using pool_clock = std::chrono::steady_clock;
using slot_id = std::uint64_t;
using waiter_id = std::uint64_t;

/// The list a slot is in; `resetting`: its lease ended and its session is being reset
/// (PgBouncer's server_reset_query) before it may be leased again.
enum class slot_state { opening, idle, busy, resetting, closed };

/// Why a connection was closed (logged and counted).
enum class close_reason {
    idle_timeout,       ///< idle longer than idle_timeout above min_size
    max_lifetime,       ///< older than max_lifetime
    broken,             ///< dead socket, lost mid-result, second time-out
    validation_failed,  ///< SELECT 1 failed after a long idle period
    draining,           ///< the pool is draining (target change, unused, shutdown)
    reclaimed,          ///< idle, given back because another tenant hit a global cap
    over_cap,           ///< above the tenant's connection cap after it was lowered
    open_failed,        ///< never opened: not counted as a close
    // Discarded after a request because its session could not be proven clean:
    query_timeout,      ///< the request ran past its time-out (ATTENTION was sent)
    request_failed,     ///< building, sending or reading the request failed client-side
    open_transaction,   ///< a transaction stayed open after ROLLBACK
    reset_failed,       ///< the session reset itself failed
    session_unprovable, ///< the statement may leave state no reset clears (session_state.hpp)
};

/// True for the reasons that discard a leased connection instead of reusing it.
bool is_discard_reason(close_reason reason) noexcept;

/// Stable lower-case name of a close reason.
std::string_view close_reason_name(close_reason reason) noexcept;

/// Size and timing rules of one pool.
struct pool_limits {
    std::size_t min_size = 0;
    std::size_t max_size = 10;
    std::size_t max_waiters = 100;
    std::size_t max_opening = 2;
    std::chrono::milliseconds idle_timeout{300'000};
    std::chrono::milliseconds max_lifetime{1'800'000};
    /// Each connection's lifetime is max_lifetime shortened by up to this fraction.
    double max_lifetime_jitter = 0.0;
    std::chrono::milliseconds validate_after{30'000};
};

/// The lifetime of a connection whose random draw is `draw` (in [0, 1)):
/// max_lifetime × (1 − jitter × draw), so within ((1 − jitter) × max_lifetime, max_lifetime].
std::chrono::milliseconds jittered_lifetime(std::chrono::milliseconds max_lifetime, double jitter,
                                            double draw) noexcept;

/// A connection handed to a caller: which slot, and whether to run SELECT 1 first.
struct checkout {
    slot_id slot = 0;
    pooled_resource* resource = nullptr;
    bool needs_validation = false;
};

/// A waiter matched with a connection by serve_next_waiter.
struct grant {
    waiter_id waiter = 0;
    checkout lease;
};

/// A slot that left the pool, with the reason it was closed.
struct closed_slot {
    slot_id slot = 0;
    close_reason reason = close_reason::broken;
    std::unique_ptr<pooled_resource> resource;  ///< null for a failed open
};

/// The pool's bookkeeping; not thread-safe (it lives on the tenant's strand).
class pool_state {
public:
    /// A pool with `limits`, reading the time from `clock`; `seed` feeds the lifetime jitter.
    pool_state(pool_limits limits, std::function<pool_clock::time_point()> clock,
               std::uint32_t seed = std::random_device{}());

    /// Newest idle connection (LIFO), moved to busy; expired ones are closed on the way.
    std::optional<checkout> take_idle();
    /// Queues a waiter; nullopt when max_waiters are already queued (fail fast).
    std::optional<waiter_id> add_waiter();
    /// Forgets a waiter that timed out; false if it was already served.
    bool remove_waiter(waiter_id id);
    /// Removes and returns the oldest waiter (to fail it after a failed open).
    std::optional<waiter_id> take_oldest_waiter();
    /// Removes and returns every waiter (to fail them all).
    std::vector<waiter_id> take_waiters();
    /// Gives the newest idle connection to the oldest waiter, if both exist.
    std::optional<grant> serve_next_waiter();

    /// How many connections to start opening now: waiters not covered by openings or
    /// resets in progress, plus the shortfall below min_size, within max_size and max_opening.
    std::size_t wanted_opens() const;
    /// Creates a slot in the opening list.
    slot_id begin_open();
    /// The open succeeded: the slot becomes idle (or closes at once when draining).
    void open_succeeded(slot_id id, std::unique_ptr<pooled_resource> resource);
    /// The open failed: the slot leaves the pool.
    void open_failed(slot_id id);

    /// A lease came back; `broken` connections, expired ones and all when draining close.
    void release(slot_id id, bool broken);
    /// Closes a leased connection whose session cannot be reused (`reason`).
    void discard(slot_id id, close_reason reason);
    /// A lease came back and its session must be reset before reuse.
    void begin_reset(slot_id id);
    /// The reset ended: clean (`failure` empty) connections become idle as in release;
    /// otherwise the connection closes with `failure`.
    void finish_reset(slot_id id, std::optional<close_reason> failure);

    /// Closes idle connections past idle_timeout (down to min_size) or max_lifetime.
    void run_janitor();
    /// Closes idle connections down to min_size (global caps are reached elsewhere).
    void shed_idle();
    /// Changes the cap: idle connections above it close now, busy ones when released.
    void set_max_size(std::size_t max_size);
    /// New limits (a configuration reload): idle connections above the new max_size close
    /// now, busy ones when released; queued waiters stay; the new timeouts apply to every
    /// connection from the next janitor run, take or release on.
    void reconfigure(pool_limits limits);
    /// Stops reuse: idle connections close now, busy ones when released.
    void start_drain();
    /// True once draining and every connection has left.
    bool drained() const { return draining_ && total() == 0; }
    bool draining() const { return draining_; }

    /// Moves closed slots out, for the owner to dispose of and log.
    std::vector<closed_slot> take_closed();

    std::size_t idle_count() const { return list(slot_state::idle).size(); }
    std::size_t busy_count() const { return list(slot_state::busy).size(); }
    std::size_t opening_count() const { return list(slot_state::opening).size(); }
    std::size_t resetting_count() const { return list(slot_state::resetting).size(); }
    std::size_t waiter_count() const { return waiters_.size(); }
    /// Connections that count against max_size: opening + idle + busy + resetting.
    std::size_t total() const { return opening_count() + idle_count() + busy_count() + resetting_count(); }
    const pool_limits& limits() const { return limits_; }

private:
    struct slot {
        slot_id id = 0;
        slot_state state = slot_state::opening;
        pool_clock::time_point created_at;
        pool_clock::time_point last_used;
        double lifetime_draw = 0.0;  ///< in [0, 1): how much of the jitter this one gets
        close_reason reason = close_reason::broken;
        std::unique_ptr<pooled_resource> resource;
    };
    using slot_list = std::list<slot>;

    void change_state(slot_list::iterator it, slot_state to);
    void close(slot_list::iterator it, close_reason reason);
    /// A returned connection: idle, or closed when broken, draining or expired.
    void back_to_idle(slot_list::iterator it, bool broken);
    slot_list::iterator find(slot_id id, slot_state expected);
    bool expired(const slot& s, pool_clock::time_point now) const;
    slot_list& list(slot_state s) { return lists_[static_cast<std::size_t>(s)]; }
    const slot_list& list(slot_state s) const { return lists_[static_cast<std::size_t>(s)]; }

    pool_limits limits_;
    std::function<pool_clock::time_point()> clock_;
    std::array<slot_list, 5> lists_;
    std::unordered_map<slot_id, slot_list::iterator> index_;
    std::deque<waiter_id> waiters_;
    slot_id next_slot_ = 1;
    waiter_id next_waiter_ = 1;
    bool draining_ = false;
    std::minstd_rand random_;
};

}  // namespace tds_pool
