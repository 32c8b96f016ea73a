#pragma once
// db-lib runs on an event loop only when it provably cannot wait (the whole reply is in
// the socket, the request fits the empty send queue: tenant_pool_query.cpp). "Whole" is
// judged from TDS's packet framing, not from the tokens inside: a server whose message
// ends while its tokens do not (cut short, or a last DONE saying more follows) makes
// db-lib wait in poll() for bytes that never come, with the event loop and every other
// tenant's requests on it behind it, for as long as the query's time-out. A guard marks
// such a call; a watchdog thread shuts the socket down under a call that has been
// asleep past `inline_stall_limit`, so db-lib's wait ends at once with an error.

#include <chrono>

namespace tds_pool::detail {

/// How long db-lib may sit asleep inside a guarded call before its socket is shut down:
/// far more than reading a whole buffered reply ever takes, far less than a query's
/// time-out. A thread preempted while running is not asleep, so a busy machine does not
/// trip it.
inline constexpr std::chrono::milliseconds inline_stall_limit{200};

/// While alive, the calling thread is inside db-lib on `fd` and expects not to wait.
class inline_io_guard {
public:
    explicit inline_io_guard(int fd) noexcept;
    ~inline_io_guard();
    inline_io_guard(const inline_io_guard&) = delete;
    inline_io_guard& operator=(const inline_io_guard&) = delete;

    /// The watchdog shut the socket down under this call (the connection is lost).
    bool tripped() const noexcept;
};

/// How many guarded calls the watchdog has cut short, since the process started.
unsigned long inline_stalls_cut() noexcept;

}  // namespace tds_pool::detail
