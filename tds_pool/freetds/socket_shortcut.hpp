#pragma once
// db-lib (FreeTDS 1.3, net.c and packet.c) makes eight system calls per query on a
// connection: a poll() before it writes the request, the send(), TCP_CORK off and on
// again around every flush, and for each packet of the reply a poll() and a recv() of its
// 8-byte header, then a poll() and a recv() of the rest. When the pool already knows the
// answers (the request fits the empty send queue, the whole reply is in: connection.cpp,
// reply_peek.hpp) they are asked of the kernel for nothing: about 3 µs each here, a
// fifth of a single-row request's CPU.
//
// So the process defines poll(), recv() and setsockopt() itself. libsybdb's calls bind
// to those (ELF looks a symbol up in the executable before the libraries it loads), and
// every call passes straight on to libc's, except:
//  - while a socket_shortcut is alive on the calling thread, db-lib's waits on its socket
//    for what the pool knows is there are answered at once, and its reads are served
//    from the reply the pool took off the socket before the socket's own bytes;
//  - TCP_CORK is never set, on any socket of the process (the call returns 0 without a
//    look at its arguments). Only db-lib asks for it here, to gather a request's
//    packets into full segments until its flush uncorks; with TCP_NODELAY (which db-lib
//    sets too) a request of several packets then leaves packet by packet instead, and a
//    flush costs no system call.
//
// With gcc's sanitizer runtimes (shared libraries) libc_definition finds their hooks, so
// ASan and TSan still see these calls; clang links its runtimes into the executable,
// where these definitions would replace their hooks.

#include <cstddef>
#include <span>

namespace tds_pool::detail {

/// While alive, db-lib's socket calls on `fd` from this thread are answered from what the
/// pool knows. One per thread at a time (a nested one hides the outer until it ends).
class socket_shortcut {
public:
    struct room_to_write_t {};
    /// The pool checked that the send queue has room for the request: db-lib's first
    /// wait to write is answered "ready" (a second one, after a short write, is real;
    /// an error the answer hides comes back from the send itself).
    static constexpr room_to_write_t room_to_write{};

    socket_shortcut(int fd, room_to_write_t) noexcept;
    /// `reply`: bytes already taken off `fd`, in order. db-lib reads them before the
    /// socket's own, and its waits to read are answered "ready" while any are left.
    socket_shortcut(int fd, std::span<const unsigned char> reply) noexcept;
    ~socket_shortcut();
    socket_shortcut(const socket_shortcut&) = delete;
    socket_shortcut& operator=(const socket_shortcut&) = delete;

    /// Bytes of the reply db-lib has not read yet. Left when the shortcut ends, they are
    /// lost to the connection's byte stream: the caller must drop the connection.
    std::size_t unread() const noexcept { return reply_.size(); }

    /// For the interposed calls (socket_shortcut.cpp): the calling thread's shortcut.
    static socket_shortcut* current() noexcept;
    int fd() const noexcept { return fd_; }
    /// Whether a wait for `events` (POLLIN, POLLOUT) is answered now; which ones.
    short ready_events(short events) noexcept;
    /// Serves up to `size` bytes of the reply (consumed unless `peek`).
    std::size_t serve(void* into, std::size_t size, bool peek) noexcept;

private:
    int fd_;
    bool room_to_write_ = false;
    std::span<const unsigned char> reply_;
    unsigned saved_ = 0;  ///< calls answered, added to the process's count at the end
    socket_shortcut* outer_;
};

/// db-lib's system calls answered from a shortcut, and TCP_CORK settings dropped, since
/// the process started.
unsigned long socket_calls_saved() noexcept;

}  // namespace tds_pool::detail
