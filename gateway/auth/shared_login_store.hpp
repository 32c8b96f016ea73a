#pragma once
// The failed-login counts every gateway instance shares, kept in Redis so that N instances
// do not give an attacker N times the attempts (README, "Shared login limits"). Each
// limiter key (the local limiter's keys, under `key_prefix`) is a Redis hash {f: failures,
// p: attempts in flight} that expires `window` after its first attempt, a fixed window
// like the local one. One Lua script per operation reads and changes all the keys of an
// attempt atomically and sets the expiry in the same step, so the expiry is never lost.
//
// The connection is a redis_link (gateway/cluster/redis_link.hpp) on one dedicated
// thread, so commands keep their order (a failure is counted after its reservation).
// A login never waits on that thread longer than `timeout`: a timer on the login's own
// executor races the reply.
//
// Never failing open: when Redis is down, slow or erroring, the answer is `unavailable`
// and the caller's local limiter decides alone (it is updated on every attempt anyway);
// the connection is retried in the background with back-off. Settling calls (fail,
// succeed, release) that cannot reach Redis are dropped: a reservation left behind
// counts as a failure until its window ends, which only ever refuses more.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "gateway/auth/login_limiter.hpp"
#include "gateway/cluster/redis_link.hpp"

namespace gateway {

namespace asio = boost::asio;

/// How the shared store answered a reservation.
enum class shared_answer { granted, refused, unavailable };

/// Why the shared store could not answer.
enum class shared_failure { none, down, timeout, error };

/// A reservation's outcome in the shared store.
struct shared_reservation {
    shared_answer answer = shared_answer::unavailable;
    shared_failure failure = shared_failure::none;  ///< when unavailable
    login_refusal refusal;      ///< when refused
    bool locked = false;        ///< refused because failures reached the budget
    login_key refused_key;      ///< when refused: the key whose budget is spent
};

/// Why decisions fell back to the local limiter; kept by the owner across reloads.
struct shared_login_stats {
    std::atomic<std::uint64_t> down{0};     ///< no connection to Redis
    std::atomic<std::uint64_t> timeout{0};  ///< no answer within the timeout
    std::atomic<std::uint64_t> error{0};    ///< the command failed (connection lost, error reply)
};

/// The Redis side of the login limits; thread-safe. Destroy before the io_contexts its
/// callers run on (pending replies are delivered there).
class shared_login_store {
public:
    /// Starts the Redis thread and its first connection attempt; never blocks.
    shared_login_store(const conf::login_limit_config& limits, std::shared_ptr<shared_login_stats> stats);
    /// Stops retrying and joins the Redis thread.
    ~shared_login_store();
    shared_login_store(const shared_login_store&) = delete;
    shared_login_store& operator=(const shared_login_store&) = delete;

    /// Takes one slot in every key's shared budget, or none when one of them is spent;
    /// answers within the configured timeout.
    asio::awaitable<shared_reservation> reserve(std::vector<login_key> keys);
    /// Turns the keys' shared slots into failures (queued, not awaited).
    void fail(std::vector<login_key> keys);
    /// Releases the keys' shared slots and clears their account keys' failures (queued).
    void succeed(std::vector<login_key> keys);
    /// Releases the keys' shared slots without counting anything (queued).
    void release(std::vector<login_key> keys);

    /// New budgets and window (configuration reload); the Redis settings stay.
    void set_limits(const conf::login_limit_config& limits);
    /// The Redis settings this store was made with.
    const conf::login_limit_shared_config& settings() const noexcept { return settings_; }
    /// True while connected to Redis.
    bool connected() const noexcept { return link_.connected(); }

private:
    struct pending_reply;
    struct reserve_job;
    struct budgets {
        std::size_t account = 1;
        std::size_t address = 1;
        std::chrono::milliseconds window{1000};
    };

    budgets current_budgets() const;
    shared_reservation run_reserve(const std::vector<login_key>& keys, const budgets& b);
    void run_fail(const std::vector<login_key>& keys, const budgets& b);
    void run_settle(const std::vector<login_key>& keys, bool clear_account_failures);
    std::optional<std::vector<long long>> eval(const char* script, const std::vector<login_key>& keys,
                                              const std::vector<std::string>& args);
    void count(shared_failure failure) const noexcept;

    const conf::login_limit_shared_config settings_;
    std::shared_ptr<shared_login_stats> stats_;
    mutable std::mutex budgets_mutex_;
    budgets budgets_;
    // Joined in the destructor, before the link goes away; the link is used on it only.
    asio::thread_pool thread_{1};
    redis_link link_;
};

class metrics_writer;

/// The /metrics families of the shared login limits; `store` null: not configured.
void write_shared_login_metrics(metrics_writer& writer, const shared_login_store* store,
                                const shared_login_stats& stats);

}  // namespace gateway
