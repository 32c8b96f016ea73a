// upstream_pool's parked connections: kept registered with the event loop that used
// them, handed back to that loop first, moved to another loop only when it has none,
// and never handed out once the server closed them. Real loopback TCP connections; the
// pool is called from inside the loop that owns the socket, as the gateway calls it.
// Waiting for a connection slot and passive health run on a manual clock: no sleeps.
#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "gateway/proxy/upstream_pool.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// A listening "upstream server" and the server ends of the connections made to it.
struct loopback_server {
    asio::io_context context;
    tcp::acceptor acceptor{context, {asio::ip::make_address("127.0.0.1"), 0}};
    std::vector<tcp::socket> accepted;

    /// A client socket on `loop`, connected to this server (whose end is kept).
    tcp::socket connect(asio::io_context& loop) {
        tcp::socket client(loop);
        client.connect(acceptor.local_endpoint());
        accepted.push_back(acceptor.accept());
        return client;
    }
};

conf::upstream_config one_server(std::size_t max_idle) {
    conf::upstream_config config;
    config.name = "app";
    config.servers = {"http://127.0.0.1:1"};
    config.max_idle_per_server = max_idle;
    return config;
}

/// Runs `work` inside `loop.run()` on this thread and returns what it returned.
template <typename Work>
auto on(asio::io_context& loop, Work work) {
    std::optional<decltype(work())> result;
    asio::post(loop, [&] { result.emplace(work()); });
    loop.restart();
    loop.run();
    return std::move(*result);
}

/// A pool of one server, two event loops and the "server" its connections go to.
struct pool_fixture {
    explicit pool_fixture(std::size_t max_idle = 8) : pool(one_server(max_idle)) {}

    /// A connection on `loop`, counted by the pool as it would be before use.
    tcp::socket open(asio::io_context& loop) {
        REQUIRE(pool.reserve(0));
        return server.connect(loop);
    }

    /// Parks `socket` from inside the loop it belongs to.
    void park(asio::io_context& loop, tcp::socket socket) {
        on(loop, [&] {
            pool.park(0, std::move(socket));
            return true;
        });
    }

    /// Opens a connection on `loop` and parks it; returns its descriptor.
    int park_new(asio::io_context& loop) {
        auto socket = open(loop);
        const int fd = socket.native_handle();
        park(loop, std::move(socket));
        return fd;
    }

    /// take_idle for a request on `loop`, called from inside that loop.
    std::optional<tcp::socket> take(asio::io_context& loop) {
        return on(loop, [&] { return pool.take_idle(0, loop.get_executor()); });
    }

    loopback_server server;
    asio::io_context loop_a;
    asio::io_context loop_b;
    gateway::upstream_pool pool;
};

const asio::execution_context* loop_of(tcp::socket& socket) {
    return &asio::query(socket.get_executor(), asio::execution::context);
}

/// True when the server end sees EOF: the pool closed the client end.
bool closed_by_pool(tcp::socket& server_end) {
    std::array<char, 1> byte{};
    boost::system::error_code ec;
    server_end.read_some(asio::buffer(byte), ec);
    return ec == asio::error::eof;
}

}  // namespace

TEST_CASE("a parked connection goes back to the loop that parked it, unchanged",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    const int fd = f.park_new(f.loop_a);

    auto taken = f.take(f.loop_a);
    REQUIRE(taken);
    CHECK(taken->native_handle() == fd);  // no new registration, no new descriptor
    CHECK(loop_of(*taken) == &f.loop_a);
    CHECK_FALSE(f.take(f.loop_b));
}

TEST_CASE("another loop adopts a parked connection when its own has none",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    f.park_new(f.loop_a);

    auto taken = f.take(f.loop_b);
    REQUIRE(taken);
    CHECK(loop_of(*taken) == &f.loop_b);
    // The adopted socket works on its new loop.
    const std::string hello = "ping";
    asio::write(*taken, asio::buffer(hello));
    std::array<char, 4> got{};
    asio::read(f.server.accepted.back(), asio::buffer(got));
    CHECK(std::string(got.data(), got.size()) == hello);
    CHECK(f.pool.stats().front().connections == 1);
}

TEST_CASE("a loop's own parked connection is preferred over a newer one of another loop",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    const int own_fd = f.park_new(f.loop_a);
    f.park_new(f.loop_b);  // parked later

    auto taken = f.take(f.loop_a);
    REQUIRE(taken);
    CHECK(taken->native_handle() == own_fd);
    CHECK(loop_of(*taken) == &f.loop_a);
}

TEST_CASE("a connection the server closed while parked is dropped, not handed out",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    f.park_new(f.loop_a);
    f.server.accepted.back().close();

    CHECK_FALSE(f.take(f.loop_a));
    CHECK(f.pool.stats().front().connections == 0);
    CHECK(f.pool.stats().front().idle == 0);
}

TEST_CASE("parking beyond max_idle_per_server closes the connection",
          "[gateway][upstream_pool]") {
    pool_fixture f(1);
    f.park_new(f.loop_a);
    f.park_new(f.loop_a);

    CHECK(f.pool.stats().front().idle == 1);
    CHECK(f.pool.stats().front().connections == 1);
    CHECK(closed_by_pool(f.server.accepted.back()));
}

TEST_CASE("a stopped pool closes its parked connections and parks no more",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    f.park_new(f.loop_a);
    auto busy = f.open(f.loop_a);  // in use while the pool stops

    f.pool.stop();
    CHECK(closed_by_pool(f.server.accepted.front()));
    f.park(f.loop_a, std::move(busy));
    CHECK(closed_by_pool(f.server.accepted.back()));
    CHECK(f.pool.stats().front().connections == 0);
    CHECK(f.pool.stats().front().idle == 0);
}

namespace {

/// One server taking at most one connection, and a loop for the waiting requests.
struct busy_fixture {
    busy_fixture() : pool(config()) {}
    static conf::upstream_config config() {
        auto c = one_server(8);
        c.max_connections_per_server = 1;
        return c;
    }

    /// A waiter on `loop` registered with the pool (the one slot is taken); `woken` is
    /// set when its timer is cancelled.
    std::shared_ptr<gateway::slot_waiter> wait(bool& woken) {
        auto waiter = std::make_shared<gateway::slot_waiter>(loop.get_executor());
        REQUIRE_FALSE(pool.reserve_or_wait(0, waiter));
        waiter->timer.expires_at(asio::steady_timer::time_point::max());
        waiter->timer.async_wait([&woken](boost::system::error_code ec) {
            woken = ec == asio::error::operation_aborted;
        });
        return waiter;
    }

    /// Runs what the pool posted to the loop.
    void settle() {
        loop.restart();
        loop.poll();
    }

    asio::io_context loop;
    gateway::upstream_pool pool;
};

}  // namespace

TEST_CASE("a request waiting for a busy server is woken when a connection is released",
          "[gateway][upstream_pool]") {
    busy_fixture f;
    REQUIRE(f.pool.reserve(0));
    bool woken = false;
    auto waiter = f.wait(woken);
    f.settle();
    CHECK_FALSE(woken);
    f.pool.release(0);
    f.settle();
    CHECK(woken);
    CHECK(f.pool.reserve_or_wait(0, waiter));  // the freed slot is there for it
}

TEST_CASE("waiters are woken one per freed connection, oldest first; one that gives up "
          "passes its wake-up on", "[gateway][upstream_pool]") {
    busy_fixture f;
    REQUIRE(f.pool.reserve(0));
    bool first_woken = false;
    bool second_woken = false;
    auto first = f.wait(first_woken);
    auto second = f.wait(second_woken);
    f.pool.release(0);
    f.settle();
    CHECK(first_woken);
    CHECK_FALSE(second_woken);
    f.pool.stop_waiting(0, first);  // its deadline came before it used the slot
    f.settle();
    CHECK(second_woken);
}

TEST_CASE("a waiter checking again at its deadline is listed once", "[gateway][upstream_pool]") {
    busy_fixture f;
    REQUIRE(f.pool.reserve(0));
    bool woken = false;
    auto waiter = f.wait(woken);
    REQUIRE_FALSE(f.pool.reserve_or_wait(0, waiter));  // its timer fired: it looks again
    f.pool.stop_waiting(0, waiter);                     // and gives up
    bool later_woken = false;
    auto later = f.wait(later_woken);
    f.pool.release(0);
    f.settle();
    CHECK(later_woken);  // the release went to the one still waiting
    CHECK_FALSE(woken);
}

TEST_CASE("a waiter that gives up before any wake-up leaves nothing behind",
          "[gateway][upstream_pool]") {
    busy_fixture f;
    REQUIRE(f.pool.reserve(0));
    bool woken = false;
    auto waiter = f.wait(woken);
    f.pool.stop_waiting(0, waiter);
    waiter->timer.cancel();
    f.settle();
    bool later_woken = false;
    auto later = f.wait(later_woken);
    f.pool.release(0);
    f.settle();
    CHECK(later_woken);
}

TEST_CASE("passive health: a server marked down gets one trial request after passive_retry, "
          "and is up again once it answers", "[gateway][upstream_pool]") {
    auto config = one_server(8);
    config.passive_failures = 2;
    config.passive_retry = std::chrono::seconds(3);
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    gateway::upstream_pool pool(config, [&now] { return now; });
    const std::vector<bool> none_tried(1, false);

    pool.record_failure(0, "refused");
    CHECK(pool.is_up(0));
    pool.record_failure(0, "refused");
    CHECK_FALSE(pool.is_up(0));
    CHECK_FALSE(pool.pick(none_tried));

    now += std::chrono::seconds(3) - std::chrono::milliseconds(1);
    CHECK_FALSE(pool.pick(none_tried));
    now += std::chrono::milliseconds(1);
    const auto trial = pool.pick(none_tried);
    REQUIRE(trial);
    CHECK_FALSE(pool.pick(none_tried));  // one trial at a time
    pool.done(*trial);

    pool.record_success(*trial);
    CHECK(pool.is_up(0));
    CHECK(pool.pick(none_tried));
}
