// The socket calls db-lib makes are answered from what the pool knows while a
// socket_shortcut is alive, and go to the kernel otherwise.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <string_view>

#include "tds_pool/freetds/socket_shortcut.hpp"

using tds_pool::detail::socket_shortcut;

namespace {

struct socket_pair {
    int ends[2] = {-1, -1};
    socket_pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ends) == 0); }
    ~socket_pair() {
        ::close(ends[0]);
        ::close(ends[1]);
    }
    int ours() const { return ends[0]; }
    int theirs() const { return ends[1]; }
};

std::string received(int fd, std::size_t size) {
    std::string bytes(size, '\0');
    const auto got = ::recv(fd, bytes.data(), size, 0);
    bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return bytes;
}

/// poll() on one descriptor with a zero time-out: the events it reports.
short ready_now(int fd, short events, int also_watched = -1) {
    std::array<pollfd, 2> fds{pollfd{fd, events, 0}, pollfd{also_watched, POLLIN, 0}};
    const int ready = ::poll(fds.data(), also_watched >= 0 ? 2 : 1, 0);
    return ready > 0 ? fds[0].revents : 0;
}

}  // namespace

TEST_CASE("reads are served from the reply in hand first, then from the socket", "[socket_shortcut]") {
    socket_pair pair;
    REQUIRE(::send(pair.theirs(), "after", 5, 0) == 5);
    const std::string_view taken = "reply-in-hand";
    const auto saved_before = tds_pool::detail::socket_calls_saved();
    {
        socket_shortcut shortcut(pair.ours(), std::span(reinterpret_cast<const unsigned char*>(taken.data()),
                                                        taken.size()));
        CHECK(ready_now(pair.ours(), POLLIN, pair.theirs()) == POLLIN);
        std::array<char, 5> peeked{};
        CHECK(::recv(pair.ours(), peeked.data(), peeked.size(), MSG_PEEK) == 5);
        CHECK(std::string_view(peeked.data(), 5) == "reply");
        CHECK(received(pair.ours(), 6) == "reply-");
        CHECK(received(pair.ours(), 100) == "in-hand");  // never more than is in hand
        CHECK(shortcut.unread() == 0);
        CHECK(received(pair.ours(), 100) == "after");  // then the socket's own bytes
        CHECK(ready_now(pair.ours(), POLLIN) == 0);    // and the kernel's answer to a wait
    }
    CHECK(tds_pool::detail::socket_calls_saved() - saved_before == 4);  // poll, peek, two reads
    REQUIRE(::send(pair.theirs(), "later", 5, 0) == 5);
    CHECK(received(pair.ours(), 100) == "later");
}

TEST_CASE("another descriptor, or no shortcut, goes to the kernel", "[socket_shortcut]") {
    socket_pair pair;
    socket_pair other;
    REQUIRE(::send(other.theirs(), "other", 5, 0) == 5);
    const unsigned char reply[] = {'x', 'y'};
    socket_shortcut shortcut(pair.ours(), std::span<const unsigned char>(reply));
    CHECK(ready_now(other.ours(), POLLIN) == POLLIN);
    CHECK(received(other.ours(), 100) == "other");
    CHECK(ready_now(other.ours(), POLLIN) == 0);
    CHECK(shortcut.unread() == 2);
}

TEST_CASE("the first wait for room is answered, a second one is the kernel's", "[socket_shortcut]") {
    socket_pair pair;
    // Fill the socket until the kernel refuses more: it has no room now.
    const std::string chunk(4096, 'f');
    while (::send(pair.ours(), chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
    }
    REQUIRE(ready_now(pair.ours(), POLLOUT) == 0);
    socket_shortcut shortcut(pair.ours(), socket_shortcut::room_to_write);
    CHECK(ready_now(pair.ours(), POLLIN | POLLOUT) == POLLOUT);
    CHECK(ready_now(pair.ours(), POLLOUT) == 0);
}

TEST_CASE("TCP_CORK is never set; other options are", "[socket_shortcut]") {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const int on = 1;
    CHECK(::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0);
    CHECK(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0);
    int cork = -1;
    int nodelay = -1;
    socklen_t size = sizeof cork;
    REQUIRE(::getsockopt(fd, IPPROTO_TCP, TCP_CORK, &cork, &size) == 0);
    size = sizeof nodelay;
    REQUIRE(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size) == 0);
    CHECK(cork == 0);
    CHECK(nodelay == 1);
    ::close(fd);
}
