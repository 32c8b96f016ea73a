#pragma once
// One blocking hiredis connection to the Redis server that gateway instances share
// (the shared login limits, the shared rate limits), owned by one thread: the owner's
// single-thread pool runs every call here, so commands keep their order without locks
// and the socket timeouts bound each one. hiredis's async API would need an Asio adapter
// it does not ship.
//
// A lost connection (I/O error, timeout, error reply, unexpected reply) is dropped and
// opened again with back-off (250 ms doubling to 5 s). Each change between up and down
// is logged once, with what the owner does meanwhile, never per command.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "conf/redis_url.hpp"

struct redisContext;

namespace gateway {

namespace asio = boost::asio;

/// The two log lines of a link's changes of state: what is shared, and what the
/// instance does alone while Redis is away.
struct redis_link_messages {
    std::string up;    ///< e.g. "shared login limits connected"
    std::string down;  ///< e.g. "shared login limits unavailable: each instance counts ..."
};

/// A reconnecting Redis connection; every member function runs on `thread`.
class redis_link {
public:
    /// `thread` must be a single-thread executor that outlives the link's timer use.
    redis_link(conf::redis_url url, std::chrono::milliseconds timeout, redis_link_messages messages,
               asio::any_io_executor thread);
    ~redis_link();
    redis_link(const redis_link&) = delete;
    redis_link& operator=(const redis_link&) = delete;

    /// Connects (AUTH, SELECT, PING) within the timeout; on failure retries later.
    void connect();
    /// Stops reconnecting (before the thread is joined).
    void stop();

    /// Runs one command; its integer replies (one, or an array of them) go to
    /// `integers` when given. False when not connected or the command failed (the
    /// connection is dropped and retried).
    bool command(const std::vector<std::string>& argv, std::vector<long long>* integers);
    /// Sends `commands` at once and reads their replies in order (one round trip);
    /// `replies` gets each one's integers. False as command() does, on the first failure.
    bool pipeline(const std::vector<std::vector<std::string>>& commands,
                  std::vector<std::vector<long long>>* replies);

    /// True while connected; readable from any thread.
    bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }
    /// "host:port/db", without credentials.
    const std::string& display() const noexcept { return url_.display; }

private:
    enum class link_state { unknown, up, down };
    struct context_free {
        void operator()(redisContext* c) const noexcept;
    };

    bool log_in();
    /// Checks a reply just read; drops the connection when it is no success.
    bool accept_reply(void* reply, std::vector<long long>* integers);
    void lose_connection(const std::string& reason);
    void schedule_reconnect();
    void note_up();

    const conf::redis_url url_;
    const std::chrono::milliseconds timeout_;
    const redis_link_messages messages_;
    std::atomic<bool> connected_{false};
    std::unique_ptr<redisContext, context_free> context_;
    std::chrono::milliseconds backoff_;
    link_state state_ = link_state::unknown;
    bool stopping_ = false;
    asio::steady_timer reconnect_timer_;
};

}  // namespace gateway
