#include "tds_pool/freetds/socket_shortcut.hpp"

#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tds_pool::detail {
namespace {

thread_local socket_shortcut* current_shortcut = nullptr;
std::atomic<unsigned long> calls_saved{0};

/// libc's definition of `name`, the one this file's own hides.
template <class Function>
Function libc_definition(const char* name) {
    void* found = ::dlsym(RTLD_NEXT, name);
    if (found == nullptr) {
        std::fprintf(stderr, "tenant-gateway: libc's %s not found: %s\n", name, ::dlerror());
        std::abort();
    }
    return reinterpret_cast<Function>(found);
}

}  // namespace

socket_shortcut::socket_shortcut(int fd, room_to_write_t) noexcept
    : fd_(fd), room_to_write_(true), outer_(current_shortcut) {
    current_shortcut = this;
}

socket_shortcut::socket_shortcut(int fd, std::span<const unsigned char> reply) noexcept
    : fd_(fd), reply_(reply), outer_(current_shortcut) {
    current_shortcut = this;
}

socket_shortcut::~socket_shortcut() {
    current_shortcut = outer_;
    if (saved_ > 0) calls_saved.fetch_add(saved_, std::memory_order_relaxed);
}

socket_shortcut* socket_shortcut::current() noexcept { return current_shortcut; }

short socket_shortcut::ready_events(short events) noexcept {
    short ready = 0;
    if ((events & POLLIN) != 0 && !reply_.empty()) ready |= POLLIN;
    if ((events & POLLOUT) != 0 && room_to_write_) {
        ready |= POLLOUT;
        room_to_write_ = false;
    }
    if (ready != 0) ++saved_;
    return ready;
}

std::size_t socket_shortcut::serve(void* into, std::size_t size, bool peek) noexcept {
    const std::size_t served = std::min(size, reply_.size());
    std::memcpy(into, reply_.data(), served);
    if (!peek) reply_ = reply_.subspan(served);
    ++saved_;
    return served;
}

unsigned long socket_calls_saved() noexcept { return calls_saved.load(std::memory_order_relaxed); }

namespace {

void note_cork_dropped() noexcept { calls_saved.fetch_add(1, std::memory_order_relaxed); }

}  // namespace
}  // namespace tds_pool::detail

// The definitions libsybdb's calls bind to (see the header). Each passes on to libc's
// unless the calling thread's shortcut answers for the descriptor.

using tds_pool::detail::socket_shortcut;

int poll(struct pollfd* fds, nfds_t count, int timeout) {
    using poll_function = int (*)(struct pollfd*, nfds_t, int);
    static const auto libc_poll = tds_pool::detail::libc_definition<poll_function>("poll");
    socket_shortcut* shortcut = socket_shortcut::current();
    if (shortcut != nullptr && count > 0 && fds[0].fd == shortcut->fd()) {
        if (const short ready = shortcut->ready_events(fds[0].events); ready != 0) {
            // db-lib's other descriptor is its wake-up pipe, written only by a cancel from
            // another thread, which the pool never sends: nothing is ready there.
            for (nfds_t i = 0; i < count; ++i) fds[i].revents = 0;
            fds[0].revents = ready;
            return 1;
        }
    }
    return libc_poll(fds, count, timeout);
}

ssize_t recv(int fd, void* into, size_t size, int flags) {
    using recv_function = ssize_t (*)(int, void*, size_t, int);
    static const auto libc_recv = tds_pool::detail::libc_definition<recv_function>("recv");
    socket_shortcut* shortcut = socket_shortcut::current();
    if (shortcut != nullptr && fd == shortcut->fd() && shortcut->unread() > 0 && size > 0) {
        return static_cast<ssize_t>(shortcut->serve(into, size, (flags & MSG_PEEK) != 0));
    }
    return libc_recv(fd, into, size, flags);
}

int setsockopt(int fd, int level, int option, const void* value, socklen_t size) noexcept {
    using setsockopt_function = int (*)(int, int, int, const void*, socklen_t);
    static const auto libc_setsockopt = tds_pool::detail::libc_definition<setsockopt_function>("setsockopt");
    if (level == IPPROTO_TCP && option == TCP_CORK) {
        tds_pool::detail::note_cork_dropped();
        return 0;
    }
    return libc_setsockopt(fd, level, option, value, size);
}
