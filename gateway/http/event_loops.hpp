#pragma once
// One event loop per I/O thread, the way nginx workers and Envoy's worker threads run:
// a connection lives on one loop for its whole life, so its coroutine, its timers and
// its upstream connections are driven by one thread. No strand is needed, no handler
// hops between threads, and no thread wakes another for a connection's own I/O.
// Each loop accepts its own connections (loop_listeners.hpp).
// Loop 0 is the server's main io_context, which also runs the signals,
// the registry, the probes and the tenant pools' bookkeeping.

#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// `count` loops (at least 1): `main` plus count-1 more, each run by a thread of its own.
class event_loops {
public:
    /// `main` is only stored here: it may be constructed after this object.
    event_loops(asio::io_context& main, unsigned count);
    event_loops(const event_loops&) = delete;
    event_loops& operator=(const event_loops&) = delete;

    /// Loop `index` (below size()); loop 0 is `main`.
    asio::any_io_executor executor(std::size_t index) noexcept;

    /// Runs loop 0 on the calling thread and the others on threads of their own;
    /// returns once stop() was called and every thread has finished.
    void run();

    /// Makes run() return: every loop stops (pending work stays queued, unrun).
    void stop() noexcept;

    /// Number of loops (threads): `count` as given, at least 1.
    std::size_t size() const noexcept { return extra_.size() + 1; }

private:
    using work_guard = asio::executor_work_guard<asio::io_context::executor_type>;

    asio::io_context& main_;
    std::vector<std::unique_ptr<asio::io_context>> extra_;
    std::vector<work_guard> keep_running_;  ///< extra loops idle until stop(), never exit early
};

}  // namespace gateway
