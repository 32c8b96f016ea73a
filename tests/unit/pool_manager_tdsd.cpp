// The pool manager against real tdsd processes: reuse, size caps, waits, time-outs,
// breaker, draining, idle and lifetime closes, tenant isolation.
#include <catch2/catch.hpp>

#include <set>

#include "tds_pool/pool_manager.hpp"
#include "tests/unit/pool_support.hpp"

using namespace std::chrono_literals;
using tds_pool::errc;
using steady = std::chrono::steady_clock;

namespace {

namespace asio = boost::asio;

conf::pools_config small_config() {
    conf::pools_config c;
    c.max_size = 4;
    c.max_waiters = 300;
    c.worker_threads = 8;
    c.acquire_timeout = 10s;
    c.query_timeout = 10s;
    c.breaker.failure_threshold = 2;
    c.breaker.base_backoff = 300ms;
    c.breaker.max_backoff = 1s;
    return c;
}

asio::awaitable<tds_pool::query_outcome> run_query(tds_pool::pool_manager* pools, std::string tenant,
                                                   tds_pool::connection_target target, std::string sql,
                                                   std::chrono::milliseconds budget,
                                                   std::optional<std::chrono::milliseconds> timeout) {
    tds_pool::query q{std::move(sql), {}, timeout};
    co_return co_await pools->execute(std::move(tenant), std::move(target), std::move(q),
                                      steady::now() + budget);
}

/// Runs queries on one pool manager inside an io_runtime.
struct harness {
    explicit harness(conf::pools_config config) : pools(rt.ioc(), config) {}

    tds_pool::query_outcome query(const std::string& tenant, const tds_pool::connection_target& target,
                                  const std::string& sql, std::chrono::milliseconds budget = 10s,
                                  std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
        return rt.run(run_query(&pools, tenant, target, sql, budget, timeout));
    }
    std::future<tds_pool::query_outcome> start(const std::string& tenant,
                                               const tds_pool::connection_target& target,
                                               const std::string& sql,
                                               std::chrono::milliseconds budget = 10s) {
        return rt.spawn(run_query(&pools, tenant, target, sql, budget, std::nullopt));
    }
    std::optional<tds_pool::pool_snapshot> pool_of(const std::string& tenant, bool draining = false) {
        for (auto& s : pools.snapshot()) {
            if (s.tenant == tenant && s.draining == draining) {
                return s;
            }
        }
        return std::nullopt;
    }

    pool_test::io_runtime rt;
    tds_pool::pool_manager pools;
};

std::int64_t spid_of(const tds_pool::query_outcome& r) {
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
    return std::get<std::int64_t>(r.value().sets.at(0).rows.at(0).at(0));
}

}  // namespace

TEST_CASE("consecutive queries reuse one connection", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    harness h(small_config());
    const auto spid = spid_of(h.query("ACME", server.target(), "SELECT @@SPID"));
    for (int i = 0; i < 5; ++i) {
        CHECK(spid_of(h.query("ACME", server.target(), "SELECT @@SPID")) == spid);
    }
    // The last lease goes back through the strand just after its result arrives.
    REQUIRE(pool_test::eventually([&] { return h.pool_of("ACME")->idle == 1; }));
    auto snap = h.pool_of("ACME");
    REQUIRE(snap);
    CHECK(snap->opens == 1);
    CHECK(snap->busy == 0);
    CHECK(snap->query_time.count == 6);
    CHECK(snap->acquire_wait.count == 6);
    CHECK(snap->connected);
}

TEST_CASE("200 concurrent requests never exceed max_size", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    REQUIRE(server.control("latency db1 5 0") == "ok");
    harness h(small_config());
    std::vector<std::future<tds_pool::query_outcome>> running;
    for (int i = 0; i < 200; ++i) {
        running.push_back(h.start("ACME", server.target(), "SELECT @@SPID", 60s));
    }
    std::size_t most = 0;
    for (int i = 0; i < 20; ++i) {
        if (auto s = h.pool_of("ACME")) {
            most = std::max(most, s->idle + s->busy + s->opening);
        }
        std::this_thread::sleep_for(10ms);
    }
    std::set<std::int64_t> spids;
    for (auto& f : running) {
        spids.insert(spid_of(f.get()));
    }
    CHECK(spids.size() <= 4);
    CHECK(most <= 4);
    auto snap = h.pool_of("ACME");
    REQUIRE(snap);
    CHECK(snap->opens <= 4);
    CHECK(snap->query_time.count == 200);
    // Leases go back through the strand just after the results arrive.
    CHECK(pool_test::eventually([&] { return h.pool_of("ACME")->busy == 0; }));
}

TEST_CASE("acquire times out and the waiter cap fails fast", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    auto config = small_config();
    config.max_size = 1;
    config.max_waiters = 2;
    harness h(config);
    auto holder = h.start("ACME", server.target(), "WAITFOR DELAY '00:00:02'");
    REQUIRE(pool_test::eventually([&] {
        auto s = h.pool_of("ACME");
        return s && s->busy == 1;
    }));
    SECTION("a waiter past its deadline gets pool_timeout") {
        auto late = h.query("ACME", server.target(), "SELECT 1", 300ms);
        REQUIRE_FALSE(late);
        CHECK(late.error().code == errc::pool_timeout);
        CHECK(h.pool_of("ACME")->acquire_timeouts == 1);
    }
    SECTION("beyond max_waiters requests fail with pool_overloaded") {
        auto w1 = h.start("ACME", server.target(), "SELECT 1");
        auto w2 = h.start("ACME", server.target(), "SELECT 1");
        REQUIRE(pool_test::eventually([&] { return h.pool_of("ACME")->waiters == 2; }));
        auto refused = h.query("ACME", server.target(), "SELECT 1");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == errc::pool_overloaded);
        CHECK(w1.get().has_value());
        CHECK(w2.get().has_value());
    }
    CHECK(holder.get().has_value());
}

TEST_CASE("a query time-out discards the pooled connection", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    harness h(small_config());
    const auto spid = spid_of(h.query("ACME", server.target(), "SELECT @@SPID"));
    auto slow = h.query("ACME", server.target(), "WAITFOR DELAY '00:00:03'", 10s, 1s);
    REQUIRE_FALSE(slow);
    CHECK(slow.error().code == errc::query_timeout);
    // Its session cannot be proven clean after the cancel: the next query gets a new one.
    CHECK(spid_of(h.query("ACME", server.target(), "SELECT @@SPID")) != spid);
    auto snap = h.pool_of("ACME");
    CHECK(snap->query_timeouts == 1);
    CHECK(snap->closes_by_reason["query_timeout"] == 1);
    CHECK(snap->discards_by_reason["query_timeout"] == 1);
    CHECK(snap->closes_by_reason.count("broken") == 0);
}

TEST_CASE("a connection dropped mid-result is an error and leaks no lease", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    harness h(small_config());
    REQUIRE(h.query("ACME", server.target(), "SELECT 1"));
    REQUIRE(server.control("drop_after_rows db1 5") == "ok");
    auto dropped = h.query("ACME", server.target(), "SELECT id, name FROM items");
    REQUIRE_FALSE(dropped);
    CHECK(dropped.error().code == errc::connection_lost);
    REQUIRE(pool_test::eventually([&] {
        auto s = h.pool_of("ACME");
        return s->busy == 0 && s->closes_by_reason["broken"] == 1;
    }));
    CHECK(h.pool_of("ACME")->idle == 0);
    REQUIRE(server.control("reset") == "ok");
    auto again = h.query("ACME", server.target(), "SELECT id FROM items");
    REQUIRE(again);
    CHECK(again.value().sets.at(0).rows.size() == 50);
}

TEST_CASE("tdsd down opens the breaker without touching another tenant; up recovers",
          "[tdsd][pool][breaker]") {
    pool_test::tdsd_process failing;
    pool_test::tdsd_process healthy;
    harness h(small_config());
    REQUIRE(h.query("ACME", failing.target(), "SELECT 1"));
    REQUIRE(h.query("TECHSTART", healthy.target(), "SELECT 1"));
    REQUIRE(failing.control("down") == "ok");

    std::optional<tds_pool::db_error> open_error;
    for (int i = 0; i < 20 && !open_error; ++i) {
        auto r = h.query("ACME", failing.target(), "SELECT 1", 5s);
        REQUIRE_FALSE(r);
        if (r.error().code == errc::tenant_db_unavailable && r.error().retry_after.count() > 0) {
            open_error = r.error();
        }
        CHECK(h.query("TECHSTART", healthy.target(), "SELECT 1").has_value());
    }
    REQUIRE(open_error);
    CHECK(open_error->retry_after <= 1s);
    auto snap = h.pool_of("ACME");
    CHECK(snap->breaker_state == "open");
    CHECK_FALSE(snap->connected);
    CHECK(snap->errors_by_code["tenant_db_unavailable"] >= 1);
    CHECK(snap->last_error.find(pool_test::tdsd_password) == std::string::npos);
    // Failing fast: no connect attempt while open.
    const auto started = steady::now();
    auto fast = h.query("ACME", failing.target(), "SELECT 1", 5s);
    if (!fast && fast.error().retry_after.count() > 0) {
        CHECK(steady::now() - started < 1s);
    }

    REQUIRE(failing.control("up") == "ok");
    CHECK(pool_test::eventually([&] { return h.query("ACME", failing.target(), "SELECT 1", 2s).has_value(); }, 15s));
    CHECK(h.pool_of("ACME")->breaker_state == "closed");
}

TEST_CASE("a changed target drains the old pool after its in-flight query", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    harness h(small_config());
    REQUIRE(h.query("ACME", server.target("db1"), "SELECT 1"));
    // The first lease is returned and its session reset after the answer: wait until
    // the connection is idle again, so that busy == 1 below means the WAITFOR holds it.
    REQUIRE(pool_test::eventually([&] {
        const auto pool = h.pool_of("ACME");
        return pool->busy == 0 && pool->resetting == 0 && pool->idle == 1;
    }));
    auto in_flight = h.start("ACME", server.target("db1"), "WAITFOR DELAY '00:00:01'");
    REQUIRE(pool_test::eventually([&] { return h.pool_of("ACME")->busy == 1; }));
    REQUIRE(h.query("ACME", server.target("db2"), "SELECT 1"));
    auto old = h.pool_of("ACME", true);
    REQUIRE(old);
    CHECK(old->database == "db1");
    CHECK(h.pool_of("ACME")->database == "db2");
    CHECK(h.pools.active_pools() == 1);
    const auto finished = in_flight.get();
    INFO((finished ? std::string() : finished.error().message));
    CHECK(finished.has_value());
    CHECK(pool_test::eventually([&] { return !h.pool_of("ACME", true).has_value(); }));
}

TEST_CASE("idle connections close after idle_timeout, old ones at max_lifetime", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    SECTION("idle timeout") {
        auto config = small_config();
        config.idle_timeout = 300ms;
        harness h(config);
        REQUIRE(h.query("ACME", server.target(), "SELECT 1"));
        CHECK(pool_test::eventually([&] {
            auto s = h.pool_of("ACME");
            return s->idle == 0 && s->closes_by_reason["idle_timeout"] == 1;
        }));
    }
    SECTION("max lifetime") {
        auto config = small_config();
        config.max_lifetime = 300ms;
        harness h(config);
        const auto first = spid_of(h.query("ACME", server.target(), "SELECT @@SPID"));
        std::this_thread::sleep_for(400ms);
        const auto second = spid_of(h.query("ACME", server.target(), "SELECT @@SPID"));
        CHECK(first != second);
        CHECK(h.pool_of("ACME")->closes_by_reason["max_lifetime"] >= 1);
    }
}

TEST_CASE("a saturated slow tenant does not hold up a fast one", "[tdsd][pool][isolation]") {
    pool_test::tdsd_process server;
    REQUIRE(server.control("latency db2 150 0") == "ok");
    harness h(small_config());
    std::vector<std::future<tds_pool::query_outcome>> slow;
    // 40 queries x 150 ms on 4 connections: at least 1.5 s of work.
    for (int i = 0; i < 40; ++i) {
        slow.push_back(h.start("SLOW", server.target("db2"), "SELECT 1", 60s));
    }
    REQUIRE(pool_test::eventually([&] {
        auto s = h.pool_of("SLOW");
        return s && s->waiters > 0;
    }));
    for (int i = 0; i < 20; ++i) {
        REQUIRE(h.query("FAST", server.target("db1"), "SELECT 1"));
    }
    // The fast tenant finished while the slow one still had queued requests.
    auto slow_now = h.pool_of("SLOW");
    CHECK(slow_now->waiters + slow_now->busy > 0);
    for (auto& f : slow) {
        CHECK(f.get().has_value());
    }
}

TEST_CASE("a wrong password gives login_failed through the pool", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    harness h(small_config());
    auto r = h.query("ACME", server.target("db1", "not-the-password"), "SELECT 1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::login_failed);
    CHECK(r.error().message.find("not-the-password") == std::string::npos);
    CHECK(h.pool_of("ACME")->errors_by_code["login_failed"] == 1);
}

asio::awaitable<tds_pool::outcome<std::chrono::microseconds>> run_probe(
    tds_pool::pool_manager* pools, std::string tenant, tds_pool::connection_target target) {
    co_return co_await pools->probe(std::move(tenant), std::move(target), 2s);
}

TEST_CASE("probe measures latency and close_tenant drains the pool", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    harness h(small_config());
    auto latency = h.rt.run(run_probe(&h.pools, "ACME", server.target()));
    REQUIRE(latency);
    auto snap = h.pool_of("ACME");
    REQUIRE(snap->last_probe_latency);
    CHECK(snap->last_probe_ok);
    CHECK(snap->last_probe_at);
    h.pools.close_tenant("ACME");
    CHECK(h.pools.active_pools() == 0);
    CHECK(pool_test::eventually([&] { return h.pools.snapshot().empty(); }));
}

TEST_CASE("min_size connections are opened and kept", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    auto config = small_config();
    config.min_size = 2;
    harness h(config);
    REQUIRE(h.query("ACME", server.target(), "SELECT 1"));
    CHECK(pool_test::eventually([&] { return h.pool_of("ACME")->idle == 2; }));
    CHECK(h.pool_of("ACME")->opens == 2);
}

TEST_CASE("a stale connection failing validation is replaced transparently", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    auto config = small_config();
    config.validate_after = 200ms;
    harness h(config);
    const auto first = spid_of(h.query("ACME", server.target(), "SELECT @@SPID"));
    REQUIRE(pool_test::eventually([&] { return h.pool_of("ACME")->idle == 1; }));
    REQUIRE(server.control("kill_connections") == "ok");
    std::this_thread::sleep_for(300ms);
    const auto second = spid_of(h.query("ACME", server.target(), "SELECT @@SPID"));
    CHECK(second != first);
    CHECK(h.pool_of("ACME")->closes_by_reason["validation_failed"] == 1);
}

TEST_CASE("a pool unused for unused_pool_timeout is closed", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    auto config = small_config();
    config.unused_pool_timeout = 500ms;
    harness h(config);
    REQUIRE(h.query("ACME", server.target(), "SELECT 1"));
    CHECK(h.pools.active_pools() == 1);
    CHECK(pool_test::eventually([&] { return h.pools.snapshot().empty(); }));
    CHECK(h.pools.active_pools() == 0);
    // The next request simply starts a new pool.
    CHECK(h.query("ACME", server.target(), "SELECT 1").has_value());
}

TEST_CASE("max_total_connections caps connections across tenants", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    auto config = small_config();
    config.max_total_connections = 2;
    harness h(config);
    std::vector<std::future<tds_pool::query_outcome>> running;
    for (int i = 0; i < 6; ++i) {
        running.push_back(h.start(i % 2 == 0 ? "ACME" : "TECHSTART", server.target(i % 2 == 0 ? "db1" : "db2"),
                                  "WAITFOR DELAY '00:00:01'", 20s));
    }
    std::size_t most = 0;
    for (int i = 0; i < 30; ++i) {
        std::size_t total = 0;
        for (const auto& s : h.pools.snapshot()) {
            total += s.idle + s.busy + s.opening;
        }
        most = std::max(most, total);
        std::this_thread::sleep_for(20ms);
    }
    CHECK(most <= 2);
    std::size_t ok = 0;
    for (auto& f : running) {
        ok += f.get().has_value() ? 1 : 0;
    }
    // Idle connections of one tenant are reclaimed for the other: everyone completes.
    CHECK(ok == 6);
}

TEST_CASE("a tenant whose server stalls logins trips its breaker; others carry on",
          "[tdsd][pool][breaker]") {
    pool_test::tdsd_process stalled;
    pool_test::tdsd_process healthy;
    auto config = small_config();
    config.login_timeout = 1s;
    harness h(config);
    REQUIRE(stalled.control("stall on") == "ok");
    auto first = h.start("ACME", stalled.target(), "SELECT 1", 10s);
    auto second = h.start("ACME", stalled.target(), "SELECT 1", 10s);
    // While two connects hang until the login time-out, the other tenant is served.
    for (int i = 0; i < 10; ++i) {
        CHECK(h.query("TECHSTART", healthy.target(), "SELECT 1").has_value());
    }
    auto a = first.get();
    auto b = second.get();
    REQUIRE_FALSE(a);
    REQUIRE_FALSE(b);
    CHECK(a.error().code == errc::tenant_db_unavailable);
    CHECK(b.error().code == errc::tenant_db_unavailable);
    CHECK(h.pool_of("ACME")->breaker_state == "open");
    auto refused = h.query("ACME", stalled.target(), "SELECT 1", 10s);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::tenant_db_unavailable);
}

TEST_CASE("a tenant's own max_connections overrides pools.max_size, live", "[tdsd][pool]") {
    pool_test::tdsd_process server;
    REQUIRE(server.control("latency db1 5 0") == "ok");
    harness h(small_config());
    auto target = server.target();
    // distinct sessions seen by `n` concurrent queries under the target's cap
    auto sessions_under = [&](std::optional<std::size_t> cap, int n) {
        target.max_connections = cap;
        std::vector<std::future<tds_pool::query_outcome>> running;
        for (int i = 0; i < n; ++i) running.push_back(h.start("ACME", target, "SELECT @@SPID", 30s));
        std::set<std::int64_t> spids;
        for (auto& f : running) spids.insert(spid_of(f.get()));
        return spids.size();
    };
    CHECK(sessions_under(1, 10) == 1);
    CHECK(h.pool_of("ACME")->max_size == 1);
    // raised, then lowered: the same pool follows the registry row
    CHECK(sessions_under(3, 12) <= 3);
    CHECK(h.pool_of("ACME")->max_size == 3);
    sessions_under(2, 1);
    CHECK(h.pool_of("ACME")->max_size == 2);
    CHECK(sessions_under(2, 12) <= 2);
}
