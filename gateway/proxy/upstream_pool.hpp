#pragma once
// One configured upstream: its servers, how each is doing (passive and active health),
// the balancing choice, and keep-alive connection pools per server. Shared by every
// event loop, so the bookkeeping sits behind one mutex held only briefly. A parked
// connection stays registered with the loop that used it and is handed to a request on
// that loop first: taking and parking then costs no system call. Another loop adopts
// it only when its own has none to give. A request that finds every connection of a
// server in use waits on a timer of its own loop, which a connection parked or released
// cancels (the timer is the condition variable, as in tds_pool's tenant_pool).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "conf/config.hpp"
#include "conf/upstream_url.hpp"
#include "gateway/http/http_types.hpp"

namespace gateway {

/// Where one upstream server is (conf::parse_upstream_url).
using upstream_address = conf::upstream_url;

/// A request waiting for a connection to one server: its timer runs on the request's
/// loop, expires at the request's deadline and is cancelled (on that loop) to wake it.
struct slot_waiter {
    explicit slot_waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    bool woken = false;  ///< guarded by the pool's mutex
};

/// One server's state and counters, as /metrics shows them.
struct upstream_server_stats {
    std::string url;
    bool up = true;
    std::size_t in_flight = 0;
    std::size_t connections = 0;  ///< open: in use plus idle
    std::size_t idle = 0;
    std::uint64_t answered = 0;   ///< exchanges that got a response head
    std::uint64_t failed = 0;     ///< exchanges that failed (refused, reset, timed out)
};

/// A configured upstream with its servers' state and idle connections.
class upstream_pool {
public:
    using clock = std::chrono::steady_clock;

    /// Builds the servers of `config`; all start healthy. Passive health reads `now`.
    explicit upstream_pool(conf::upstream_config config,
                           std::function<clock::time_point()> now = clock::now);
    ~upstream_pool();
    upstream_pool(const upstream_pool&) = delete;
    upstream_pool& operator=(const upstream_pool&) = delete;

    /// The configuration this pool was built from.
    const conf::upstream_config& config() const noexcept { return config_; }
    /// Number of servers.
    std::size_t size() const noexcept { return addresses_.size(); }
    /// Address of server `index`.
    const upstream_address& address(std::size_t index) const { return addresses_.at(index); }

    /// Chooses a server that is up and not in `tried` by the balance policy and counts
    /// a request in flight on it; std::nullopt when none is left.
    std::optional<std::size_t> pick(const std::vector<bool>& tried);
    /// Ends a request counted by pick().
    void done(std::size_t index);

    /// An idle keep-alive connection to `index` for a request on `executor`'s loop, if
    /// one is parked (one of that loop's own when it has any).
    std::optional<asio::ip::tcp::socket> take_idle(std::size_t index,
                                                   const asio::any_io_executor& executor);
    /// Reserves a new connection to `index`; false at max_connections_per_server.
    bool reserve(std::size_t index);
    /// reserve(), or else registers `waiter`, to be woken once a connection to `index`
    /// is parked or released (and then to try take_idle and this again).
    bool reserve_or_wait(std::size_t index, const std::shared_ptr<slot_waiter>& waiter);
    /// Forgets a waiter that gives up; a wake-up it got and did not use goes to the next.
    void stop_waiting(std::size_t index, const std::shared_ptr<slot_waiter>& waiter);
    /// Parks a reusable connection (or closes it when max_idle_per_server is reached).
    void park(std::size_t index, asio::ip::tcp::socket socket);
    /// Forgets a connection that was closed or could not be opened.
    void release(std::size_t index);

    /// Passive health: the server answered.
    void record_success(std::size_t index);
    /// Passive health: the server failed (refused, reset, timed out).
    void record_failure(std::size_t index, std::string_view why);
    /// Active health: result of one health check.
    void record_check(std::size_t index, bool healthy);
    /// True while the server takes requests.
    bool is_up(std::size_t index) const;
    /// Every server's state and counters, in configuration order.
    std::vector<upstream_server_stats> stats() const;
    /// The upstream's configured name.
    const std::string& name() const noexcept { return config_.name; }

    /// Stops background work (health checks) of a pool replaced by a reload and closes
    /// its idle connections; connections in use are closed when they finish.
    void stop();
    /// Closes every parked connection (before the loops they belong to go away).
    void close_idle();
    /// True once stop() was called.
    bool stopped() const noexcept { return stopped_; }

private:
    /// An idle connection and the loop (io_context) whose reactor it is registered with.
    struct parked_connection {
        asio::ip::tcp::socket socket;
        const asio::execution_context* loop;
    };

    struct server_state {
        bool up = true;
        unsigned failures = 0;       ///< consecutive passive failures
        unsigned checks_ok = 0;      ///< consecutive passed health checks
        unsigned checks_failed = 0;  ///< consecutive failed health checks
        std::size_t in_flight = 0;
        std::size_t connections = 0;  ///< open: in use plus idle
        std::uint64_t answered = 0;
        std::uint64_t failed = 0;
        std::vector<parked_connection> idle;  ///< most recent last
        /// Oldest first; weak: a request that ended with its loop leaves nothing behind.
        std::list<std::weak_ptr<slot_waiter>> waiters;
        clock::time_point retry_at{};
    };

    bool usable(const server_state& server, clock::time_point now) const;
    std::optional<parked_connection> pop_idle(std::size_t index, const asio::execution_context* loop);
    void mark(std::size_t index, bool up, std::string_view why);
    /// Takes the oldest waiter of `index` (the mutex held), to be woken after unlocking.
    std::shared_ptr<slot_waiter> next_waiter(std::size_t index);

    conf::upstream_config config_;
    std::function<clock::time_point()> now_;
    std::vector<upstream_address> addresses_;
    mutable std::mutex mutex_;
    std::vector<server_state> servers_;
    std::size_t next_ = 0;  ///< round-robin cursor
    std::atomic<bool> stopped_{false};
};

}  // namespace gateway
