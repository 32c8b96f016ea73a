// upstream_pool's parked connections: kept registered with the event loop that used
// them, handed back to that loop first, moved to another loop only when it has none,
// and never handed out once the server closed them. Real loopback TCP connections.
#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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

/// A pool of one server, two event loops and the "server" its connections go to.
struct pool_fixture {
    explicit pool_fixture(std::size_t max_idle = 8) : pool(one_server(max_idle)) {}

    /// A connection on `loop`, counted by the pool as it would be before use.
    tcp::socket open(asio::io_context& loop) {
        REQUIRE(pool.reserve(0));
        return server.connect(loop);
    }

    /// Opens a connection on `loop` and parks it; returns its descriptor.
    int park_new(asio::io_context& loop) {
        auto socket = open(loop);
        const int fd = socket.native_handle();
        pool.park(0, std::move(socket));
        return fd;
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

    auto taken = f.pool.take_idle(0, f.loop_a.get_executor());
    REQUIRE(taken);
    CHECK(taken->native_handle() == fd);  // no new registration, no new descriptor
    CHECK(loop_of(*taken) == &f.loop_a);
    CHECK_FALSE(f.pool.take_idle(0, f.loop_b.get_executor()));
}

TEST_CASE("another loop adopts a parked connection when its own has none",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    f.park_new(f.loop_a);

    auto taken = f.pool.take_idle(0, f.loop_b.get_executor());
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

    auto taken = f.pool.take_idle(0, f.loop_a.get_executor());
    REQUIRE(taken);
    CHECK(taken->native_handle() == own_fd);
    CHECK(loop_of(*taken) == &f.loop_a);
}

TEST_CASE("a connection the server closed while parked is dropped, not handed out",
          "[gateway][upstream_pool]") {
    pool_fixture f;
    f.park_new(f.loop_a);
    f.server.accepted.back().close();

    CHECK_FALSE(f.pool.take_idle(0, f.loop_a.get_executor()));
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
    f.pool.park(0, std::move(busy));
    CHECK(closed_by_pool(f.server.accepted.back()));
    CHECK(f.pool.stats().front().connections == 0);
    CHECK(f.pool.stats().front().idle == 0);
}
