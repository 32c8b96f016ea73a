#pragma once
// db-lib runs on an event loop only when it provably cannot wait (the whole reply is in
// the socket, the request fits the empty send queue: tenant_pool_query.cpp). "Whole" is
// judged from TDS's packet framing and the final DONE token (reply_peek.hpp), not from
// every token inside: a server whose token data imitates that DONE can still make
// db-lib wait in poll() for bytes that never come, or keep it reading a stream of rows,
// with the event loop and every other tenant's requests on it behind it. A guard marks
// such a call; a watchdog thread shuts the socket down under a call that has been
// asleep past `inline_stall_limit`, or running past `inline_busy_limit`, so db-lib's
// read ends at once with an error.

#include <sys/types.h>

#include <chrono>

namespace tds_pool::detail {

/// How long db-lib may sit in poll() inside a guarded call: far more than reading a
/// whole buffered reply ever takes, far less than a query's time-out. A thread
/// preempted while running, or waiting for a lock, is not in poll(), so a busy machine
/// does not trip it.
inline constexpr std::chrono::milliseconds inline_stall_limit{200};
/// How long a guarded call may last at all (a stream of rows keeps db-lib busy, not
/// asleep); a whole buffered reply of at most 64 KiB is read in well under a millisecond.
inline constexpr std::chrono::milliseconds inline_busy_limit{1000};

/// The socket a guarded call reads and writes: its descriptor, and the inode that
/// descriptor had when the connection opened (the watchdog never shuts down a socket
/// that took over the number after FreeTDS closed its own).
struct watched_socket {
    int fd = -1;
    ino_t inode = 0;
};

/// The inode of the socket `fd` refers to (0 when it cannot be read).
ino_t socket_inode(int fd) noexcept;

/// While alive, the calling thread is inside db-lib on `socket` and expects not to wait.
class inline_io_guard {
public:
    explicit inline_io_guard(watched_socket socket);
    ~inline_io_guard();
    inline_io_guard(const inline_io_guard&) = delete;
    inline_io_guard& operator=(const inline_io_guard&) = delete;

    /// Ends the watch; true when the watchdog shut the socket down under this call (the
    /// connection is lost, even if db-lib had finished). Called once, before the result
    /// of the call is trusted.
    bool finish() noexcept;

private:
    bool finished_ = false;
};

/// How many guarded calls the watchdog has cut short, since the process started.
unsigned long inline_stalls_cut() noexcept;

}  // namespace tds_pool::detail

namespace tds_pool {

/// Replies read on an event loop whose call the watchdog cut, since the process started
/// (for /metrics; the log line names the tenant).
inline unsigned long inline_reads_cut() noexcept { return detail::inline_stalls_cut(); }

}  // namespace tds_pool
