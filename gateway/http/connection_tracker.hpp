#pragma once
// The live client connections: counted for the connection cap, reachable for a drain.
// The drain waits for the last one to go on a timer that the last remove() cancels (the
// timer is the condition variable, as in tds_pool's tenant_pool): no polling.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gateway {

namespace asio = boost::asio;

class session;

/// Registry of open sessions. Sessions are only reached through their own event loop.
class connection_tracker {
public:
    enum class admission { admitted, full, draining };

    /// Decides whether a connection just accepted may be served: `full` when `cap` are
    /// open or admitted, `draining` once a drain began. Decided and counted under one
    /// lock, so event loops accepting at once cannot pass the cap together. Each
    /// `admitted` is followed by add() for that connection.
    admission admit(std::size_t cap);

    /// Registers a session admitted by admit(); returns its id for remove().
    std::uint64_t add(const std::shared_ptr<session>& s);

    /// Forgets a session (called from its destructor).
    void remove(std::uint64_t id) noexcept;

    /// Number of open client connections (admitted ones included).
    std::size_t size() const;

    /// True once a drain started: idle connections close, no new ones are served.
    bool draining() const;

    /// Starts the drain: every session is told on its event loop to finish and close.
    void begin_drain();

    /// Closes every connection now (the drain timeout ran out).
    void close_all();

    /// Completes once no connection is open or at `deadline`, whichever comes first; true
    /// when none is open. One waiter at a time (the drain).
    asio::awaitable<bool> wait_until_empty(std::chrono::steady_clock::time_point deadline);

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions_;
    std::weak_ptr<asio::steady_timer> empty_waiter_;  ///< cancelled when the last one goes
    std::uint64_t next_id_ = 1;
    std::size_t admitted_ = 0;  ///< admitted, not yet added
    // Read by every request of both event loops: an atomic, not the mutex (set under it).
    std::atomic<bool> draining_{false};
};

}  // namespace gateway
