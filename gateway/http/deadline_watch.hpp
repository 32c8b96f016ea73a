#pragma once
// A connection's timeout as one coarse timer, in place of Beast's tcp_stream, which
// arms a timer for every read and write and cancels it when the operation ends: two
// timer-queue updates and one more handler run per operation, about a tenth of the
// gateway's CPU per proxied request. Here setting a deadline only stores a time; the
// timer is re-armed when it fires early (the deadline moved later) or when a deadline
// moves earlier than it. When a deadline passes, the watched socket is closed, as
// Beast's stream does: the pending operation ends with an error and timed_out() says why.
// Unlike Beast's, this deadline runs whether or not an operation waits on the socket,
// so every caller clears it (expires_never) when its operation ends: a deadline left
// over would close a connection that is only waiting on the other side.

#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// The deadline of one socket at a time; all use is on the socket's event loop.
class deadline_watch {
public:
    using clock = std::chrono::steady_clock;

    explicit deadline_watch(const asio::any_io_executor& executor);
    ~deadline_watch();
    deadline_watch(const deadline_watch&) = delete;
    deadline_watch& operator=(const deadline_watch&) = delete;

    /// The socket closed when a deadline passes (null: none); clears timed_out().
    void watch(asio::ip::tcp::socket* socket) noexcept;

    /// Operations from now on must end by `when`.
    void expires_at(clock::time_point when);
    template <class Duration>
    void expires_after(Duration timeout) {
        expires_at(clock::now() + std::chrono::duration_cast<clock::duration>(timeout));
    }
    /// No deadline until the next expires_at/after.
    void expires_never() noexcept;

    /// A deadline passed and closed the watched socket.
    bool timed_out() const noexcept;

private:
    struct state;
    static void arm(const std::shared_ptr<state>& watch, clock::time_point when);
    static void on_timer(const std::shared_ptr<state>& watch, const beast::error_code& ec);

    // Shared with the pending wait: a timer that already fired may still be queued when
    // this object goes, and its handler must find live state.
    std::shared_ptr<state> state_;
};

}  // namespace gateway
