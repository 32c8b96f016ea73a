#pragma once
// One tenant's pool: the pool_state bookkeeping, the circuit breaker and the waiters all
// live on the tenant's own strand; FreeTDS calls (connect, query, SELECT 1, close) run on
// the shared bounded worker pool, at most job_cap of them per tenant at once.
//
// Scheduling choice, measured with scripts/bench pool (16 connections to a database
// answering in 150 ms, 4 workers): running the whole query on a worker gave 26 queries/s,
// the hybrid 102/s. So queries use the hybrid: send_request on a worker, wait for the
// first reply packet with an asio stream_descriptor on the caller's executor (released,
// never closed), then read_reply on a worker. A worker is busy only while bytes move, so
// a slow tenant's network latency costs no threads. The per-tenant job cap still bounds
// how many workers one tenant can hold (a burst of large results, or connects, which
// stay blocking: dbopen has no split), and max_opening plus the breaker keep a dead
// tenant's connects from piling up. If the readiness wait runs out, read_reply gets a
// 1 s db-lib time-out, which sends ATTENTION and keeps the connection when the server
// acknowledges it (a query time-out thus ends within about timeout + 1 s).
// Short cuts that skip the worker hand-overs (two thread wake-ups each, the largest
// cost of a small query in the profile): a reply already wholly in the socket buffer
// is read on the caller's thread, since db-lib then cannot block; and after such a
// reply a small request is sent on the caller's thread when the socket's send queue is
// empty. Anything else takes the worker path, so a slow tenant never holds an I/O thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "tds_pool/circuit_breaker.hpp"
#include "tds_pool/freetds/connection.hpp"
#include "tds_pool/connection_budget.hpp"
#include "tds_pool/inline_io_backoff.hpp"
#include "tds_pool/open_throttle.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/pool_state.hpp"
#include "tds_pool/pool_stats.hpp"

namespace tds_pool {

namespace asio = boost::asio;

/// Everything that shapes one tenant's pool, derived from conf::pools_config.
struct tenant_pool_settings {
    pool_limits limits;
    conf::breaker_config breaker;
    connect_options connect;
    std::chrono::milliseconds query_timeout{30'000};
    std::chrono::milliseconds acquire_timeout{5'000};  ///< longest wait for a connection
    std::chrono::milliseconds validate_timeout{1'000};
    std::size_t job_cap = 8;  ///< blocking jobs of this tenant running at once
    std::chrono::milliseconds janitor_interval{1'000};

    /// Settings from the `pools:` section (job_cap = half the workers, at least 1).
    static tenant_pool_settings from_config(const conf::pools_config& config);
};

class tenant_pool;

/// Exclusive use of one pooled connection; when it goes out of scope the connection's
/// session is reset and it becomes idle again, or it is destroyed if discarded.
class [[nodiscard]] lease {
public:
    lease() = default;
    /// Takes ownership of a checkout from `pool`.
    lease(std::shared_ptr<tenant_pool> pool, checkout c);
    lease(lease&& other) noexcept;
    lease& operator=(lease&& other) noexcept;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease();

    /// The leased connection; use it from one thread at a time.
    connection& conn() const { return *static_cast<connection*>(checkout_.resource); }
    /// True when the connection sat idle past validate_after.
    bool needs_validation() const { return checkout_.needs_validation; }
    /// The connection must not be reused: it is closed with `reason` when given back.
    void discard(close_reason reason) { discard_ = reason; }
    explicit operator bool() const { return pool_ != nullptr; }

private:
    void give_back() noexcept;

    std::shared_ptr<tenant_pool> pool_;
    checkout checkout_;
    std::optional<close_reason> discard_;
};

/// A tenant's pool; always owned by a std::shared_ptr (coroutines keep it alive).
class tenant_pool : public std::enable_shared_from_this<tenant_pool> {
public:
    /// A pool for `tenant` at `target`; bookkeeping on a new strand of `io`; its opens
    /// take turns of `opens`, shared by every pool of the process. `clock` is what the
    /// bookkeeping and the breaker read (timers and deadlines use steady time).
    tenant_pool(asio::any_io_executor io, std::shared_ptr<asio::thread_pool> workers,
                std::shared_ptr<connection_budget> budget,
                std::shared_ptr<open_throttle> opens, std::string tenant,
                connection_target target, tenant_pool_settings settings,
                std::shared_ptr<inline_io_backoff> inline_io = std::make_shared<inline_io_backoff>(),
                std::function<pool_clock::time_point()> clock = pool_clock::now);

    /// Starts the janitor (idle time-out, lifetime, min size).
    void start();

    /// Acquires a connection, validates it if needed, runs `q` on a worker, returns it.
    static asio::awaitable<outcome<query_result>> execute(std::shared_ptr<tenant_pool> self,
                                                          query q,
                                                          pool_clock::time_point deadline);

    /// execute handing the rows to `sink` as they are read (the caller keeps `sink` alive
    /// until this completes); the connection returns to the pool before this completes,
    /// so what the caller does with the rows afterwards never holds it.
    static asio::awaitable<std::optional<db_error>> execute_into(std::shared_ptr<tenant_pool> self,
                                                                 query q,
                                                                 pool_clock::time_point deadline,
                                                                 row_sink* sink);

    /// A connection within `deadline`: from the idle list, a new one, or after waiting.
    static asio::awaitable<outcome<lease>> acquire(std::shared_ptr<tenant_pool> self,
                                                   pool_clock::time_point deadline);

    /// Whether a health probe counts as use of the pool (see pool_manager::probe_live).
    enum class probe_use {
        keeps_pool,    ///< like a request: the pool is not "unused" while probed
        observes_only  ///< leaves last_used alone: an unused pool still closes
    };

    /// SELECT 1 on a pooled connection within `timeout`; records latency for /health.
    static asio::awaitable<outcome<std::chrono::microseconds>> probe(
        std::shared_ptr<tenant_pool> self, std::chrono::milliseconds timeout,
        probe_use use = probe_use::keeps_pool);

    /// Changes the tenant's connection cap live (a registry row's MaxConnections changed):
    /// idle connections above it close now, busy ones when their query finishes.
    void resize(std::size_t max_size);
    /// The cap in force.
    std::size_t max_size() const { return max_size_.load(); }
    /// New settings (a configuration reload): the limits and the breaker's back-off apply
    /// to the live pool (see pool_state::reconfigure), the timeouts to the next acquire,
    /// query or validation, the connect options to connections opened from now on.
    void reconfigure(tenant_pool_settings settings);

    /// Stops reuse: waiters fail with pool_closed, idle connections close now, busy ones
    /// when their query finishes.
    void drain();
    /// True once drained and every connection is closed.
    bool drained() const { return drained_.load(); }

    /// Counters, gauges and identity for /health and /metrics.
    pool_snapshot snapshot() const;

    const std::string& tenant() const { return tenant_; }
    const connection_target& target() const { return target_; }
    const std::string& key() const { return key_; }
    /// When execute or probe last started.
    pool_clock::time_point last_used() const;

private:
    friend class lease;
    struct parked_waiter;

    static asio::awaitable<outcome<checkout>> acquire_on_strand(std::shared_ptr<tenant_pool> self,
                                                                pool_clock::time_point deadline);
    static asio::awaitable<void> open_one(std::shared_ptr<tenant_pool> self, slot_id id);
    static asio::awaitable<void> acquire_job_slot(std::shared_ptr<tenant_pool> self);
    static asio::awaitable<void> janitor_loop(std::weak_ptr<tenant_pool> weak,
                                              std::shared_ptr<asio::steady_timer> timer);
    struct job_slot;
    /// How the wait for a reply ended: out of time, the socket readable, or (seen
    /// without waiting on the socket) the whole reply buffered.
    enum class reply_arrival { timed_out, readable, buffered };
    /// `may_read_inline` false: the reply will be read on a worker, so it is not looked for.
    static asio::awaitable<reply_arrival> wait_for_reply(connection* conn, std::chrono::milliseconds timeout,
                                                         bool may_read_inline);
    static asio::awaitable<bool> wait_readable(int fd, std::chrono::milliseconds timeout);
    static asio::awaitable<bool> validate(std::shared_ptr<tenant_pool> self, connection* conn);
    static asio::awaitable<outcome<lease>> acquire_valid(std::shared_ptr<tenant_pool> self,
                                                         pool_clock::time_point deadline);
    static asio::awaitable<std::optional<db_error>> send_on(std::shared_ptr<tenant_pool> self,
                                                            connection* conn, const query* statement,
                                                            std::chrono::milliseconds timeout);
    static asio::awaitable<std::optional<db_error>> read_on(std::shared_ptr<tenant_pool> self,
                                                            connection* conn, reply_arrival arrival,
                                                            row_sink* sink);
    static asio::awaitable<db_error> finish_failure(std::shared_ptr<tenant_pool> self, connection* conn);
    /// Runs `call`, a db-lib call on the event loop, under the watchdog
    /// (detail::inline_io_guard); nullopt when the watchdog cut it: its result is not to
    /// be trusted and the connection is lost (note_inline_stall).
    template <class Call>
    std::optional<std::invoke_result_t<Call>> run_guarded(connection& conn, Call call);
    /// After a guarded call on the event loop: when it was cut short (`tripped`), marks
    /// the connection lost, pauses inline I/O for this pool (inline_io_backoff; saying so
    /// when a pause starts) and returns true: the call's result is not to be trusted.
    bool note_inline_stall(connection& conn, bool tripped);
    static asio::awaitable<std::optional<db_error>> run_on(std::shared_ptr<tenant_pool> self,
                                                           connection* conn, const query* statement,
                                                           std::chrono::milliseconds timeout,
                                                           row_sink* sink);
    static asio::awaitable<job_slot> take_job_slot(std::shared_ptr<tenant_pool> self);
    static asio::awaitable<void> reset_session(std::shared_ptr<tenant_pool> self, slot_id id,
                                               connection* conn);

    void on_release(slot_id id, pooled_resource* resource, std::optional<close_reason> discard);
    void on_open_result(slot_id id, outcome<std::unique_ptr<connection>> result);
    void release_job_slot();
    void kick_opens();
    /// Asks the open throttle to wake this pool when a turn is free (once at a time).
    void wait_for_open_turn();
    void serve_waiters();
    void wake(waiter_id id, outcome<checkout> result);
    void fail_all_waiters(const db_error& error);
    void dispose_closed();
    void publish();
    void janitor_tick();
    db_error breaker_error() const;
    void touch();
    /// execute_into without marking the pool used (the probe's path when it observes only).
    static asio::awaitable<std::optional<db_error>> run_untouched(std::shared_ptr<tenant_pool> self,
                                                                  query q,
                                                                  pool_clock::time_point deadline,
                                                                  row_sink* sink);
    /// The settings in force; read from any thread.
    std::shared_ptr<const tenant_pool_settings> settings() const;

    asio::strand<asio::any_io_executor> strand_;
    std::shared_ptr<asio::thread_pool> worker_pool_;  ///< outlives the pools' queued jobs
    asio::thread_pool::executor_type workers_;
    std::shared_ptr<connection_budget> budget_;
    std::shared_ptr<open_throttle> opens_;
    const std::string tenant_;
    const connection_target target_;
    const std::string key_;
    mutable std::mutex settings_mutex_;  // held only to copy or swap settings_
    std::shared_ptr<const tenant_pool_settings> settings_;  ///< replaced whole by reconfigure
    std::atomic<std::size_t> max_size_;  ///< the state's cap, readable off the strand
    const std::function<pool_clock::time_point()> clock_;  ///< read by state_ and breaker_

    // Strand-only state.
    pool_state state_;
    circuit_breaker breaker_;
    /// The last open failure since a connection last opened (strand only): the breaker's
    /// refusals keep a TLS failure's code.
    std::optional<db_error> last_open_failure_;
    std::unordered_map<waiter_id, std::shared_ptr<parked_waiter>> parked_;
    bool waiting_for_open_turn_ = false;
    std::size_t jobs_running_ = 0;
    std::deque<std::shared_ptr<asio::steady_timer>> job_waiters_;
    std::shared_ptr<asio::steady_timer> janitor_timer_;

    // Read from any thread.
    pool_stats stats_;
    std::atomic<bool> drained_{false};
    std::atomic<std::int64_t> last_used_ns_;
    /// Paused when a call on the event loop stalled (inline_io_guard): this tenant's
    /// database is not trusted to frame its replies for a while, so they go to the
    /// workers. The tenant's, shared with the pools that replace this one.
    const std::shared_ptr<inline_io_backoff> inline_io_;
};

/// Holds one of the tenant's job slots; gives it back on the strand when destroyed.
struct tenant_pool::job_slot {
    std::shared_ptr<tenant_pool> pool;

    job_slot() = default;
    explicit job_slot(std::shared_ptr<tenant_pool> p) : pool(std::move(p)) {}
    job_slot(job_slot&& other) noexcept : pool(std::move(other.pool)) {}
    job_slot& operator=(job_slot&&) = delete;
    ~job_slot() {
        if (pool) {
            asio::post(pool->strand_, [p = pool] { p->release_job_slot(); });
        }
    }
};

}  // namespace tds_pool
