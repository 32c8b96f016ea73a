// The watchdog behind db-lib calls made on an event loop (inline_io_guard.hpp): a call
// waiting in poll() past the limit has its socket shut down; a quick call, or one busy
// without waiting, is left alone; a descriptor that now names another socket is never
// shut down.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tds_pool/freetds/inline_io_guard.hpp"

using namespace std::chrono_literals;
using tds_pool::detail::inline_io_guard;
using tds_pool::detail::socket_inode;

namespace {

struct socket_pair {
    int ours = -1;
    int peer = -1;
    socket_pair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        ours = fds[0];
        peer = fds[1];
    }
    ~socket_pair() {
        ::close(ours);
        ::close(peer);
    }
};

/// Waits in poll() for input on `fd` (as db-lib does for bytes that never come); true
/// when it ended because the socket was shut down.
bool poll_until_shut(int fd, std::chrono::milliseconds at_most) {
    pollfd watched{fd, POLLIN, 0};
    const int ready = ::poll(&watched, 1, static_cast<int>(at_most.count()));
    if (ready <= 0) return false;
    char byte;
    return ::recv(fd, &byte, 1, MSG_DONTWAIT) == 0;  // end of stream: shut down
}

}  // namespace

TEST_CASE("a call waiting in poll past the limit is cut", "[inline_guard]") {
    socket_pair pair;
    inline_io_guard guard({pair.ours, socket_inode(pair.ours)});
    const auto started = std::chrono::steady_clock::now();
    const bool shut = poll_until_shut(pair.ours, 3s);
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(guard.finish());
    CHECK(shut);
    CHECK(waited >= tds_pool::detail::inline_stall_limit);
    CHECK(waited < 1s);
    char byte;
    CHECK(::recv(pair.peer, &byte, 1, MSG_DONTWAIT) == 0);  // the peer sees the end too
}

TEST_CASE("a quick call is left alone", "[inline_guard]") {
    socket_pair pair;
    for (int i = 0; i < 3; ++i) {
        inline_io_guard guard({pair.ours, socket_inode(pair.ours)});
        std::this_thread::sleep_for(5ms);
        CHECK_FALSE(guard.finish());
    }
    CHECK(::send(pair.ours, "x", 1, 0) == 1);  // still open
}

TEST_CASE("a busy call is cut only after the busy limit", "[inline_guard]") {
    socket_pair pair;
    inline_io_guard guard({pair.ours, socket_inode(pair.ours)});
    const auto spin_until = [](std::chrono::steady_clock::time_point until) {
        while (std::chrono::steady_clock::now() < until) {
        }  // running, never in poll(): what a stream of rows looks like
    };
    const auto started = std::chrono::steady_clock::now();
    spin_until(started + 600ms);  // past the stall limit, not the busy one
    CHECK(::send(pair.ours, "x", 1, MSG_NOSIGNAL) == 1);
    spin_until(started + tds_pool::detail::inline_busy_limit + 500ms);
    CHECK(guard.finish());
    CHECK(::send(pair.ours, "x", 1, MSG_NOSIGNAL) == -1);  // shut down
}

TEST_CASE("a descriptor that names another socket now is not shut down", "[inline_guard]") {
    socket_pair pair;
    socket_pair other;
    // the guard believes pair.ours is the socket `other.ours` was at open
    inline_io_guard guard({pair.ours, socket_inode(other.ours)});
    CHECK_FALSE(poll_until_shut(pair.ours, 500ms));
    CHECK_FALSE(guard.finish());
    CHECK(::send(pair.ours, "x", 1, MSG_NOSIGNAL) == 1);
}
