// No session state survives a lease: open transactions, SET options and #temp tables
// never reach the next request on a connection, and a request that could not be built
// or sent never poisons it. All against tdsd, with max_size 1 so every request shares
// one connection unless the pool discards it.
#include <catch2/catch.hpp>

#include "tds_pool/freetds/connection.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tests/unit/pool_support.hpp"

using namespace std::chrono_literals;
using tds_pool::errc;
using tds_pool::param_type;
using steady = std::chrono::steady_clock;

namespace {

namespace asio = boost::asio;

asio::awaitable<tds_pool::query_outcome> run_query(tds_pool::pool_manager* pools,
                                                   tds_pool::connection_target target, tds_pool::query q) {
    co_return co_await pools->execute("ACME", std::move(target), std::move(q), steady::now() + 10s);
}

/// One pool of at most one connection against one tdsd.
struct one_connection_pool {
    /// `server_yaml` is extra tdsd configuration (e.g. `user_options: 2`).
    explicit one_connection_pool(const std::string& server_yaml = "") : server(server_yaml), pools(rt.ioc(), config()) {}

    static conf::pools_config config() {
        conf::pools_config c;
        c.max_size = 1;
        c.worker_threads = 4;
        c.acquire_timeout = 10s;
        c.query_timeout = 10s;
        return c;
    }
    tds_pool::query_outcome run(tds_pool::query q) { return rt.run(run_query(&pools, server.target(), std::move(q))); }
    tds_pool::query_outcome run(const std::string& sql, std::optional<std::chrono::milliseconds> timeout = {}) {
        return run(tds_pool::query{sql, {}, timeout});
    }
    std::int64_t single_int(const std::string& sql) {
        auto r = run(sql);
        INFO(sql << ": " << (r ? std::string() : r.error().message));
        REQUIRE(r);
        return std::get<std::int64_t>(r.value().sets.at(0).rows.at(0).at(0));
    }
    tds_pool::pool_snapshot snapshot() { return pools.snapshot().at(0); }
    /// The connection is back in the idle list (its reset has finished).
    bool settled() {
        return pool_test::eventually([&] {
            const auto s = snapshot();
            return s.busy == 0 && s.resetting == 0 && s.idle + s.opening <= 1;
        });
    }

    pool_test::tdsd_process server;
    pool_test::io_runtime rt;
    tds_pool::pool_manager pools;
};

}  // namespace

TEST_CASE("a transaction left open by a timed-out request never reaches the next one",
          "[tdsd][pool][reset]") {
    one_connection_pool p;
    auto slow = p.run("BEGIN TRANSACTION; INSERT INTO items (id, name) VALUES (900, N'ghost'); "
                      "WAITFOR DELAY '00:00:03'; COMMIT",
                      1s);
    REQUIRE_FALSE(slow);
    CHECK(slow.error().code == errc::query_timeout);
    CHECK(p.single_int("SELECT COUNT(*) FROM items WHERE id = 900") == 0);
    REQUIRE(p.run("BEGIN TRANSACTION; INSERT INTO items (id, name) VALUES (901, N'real'); COMMIT"));
    CHECK(p.single_int("SELECT COUNT(*) FROM items WHERE id = 901") == 1);
    REQUIRE(p.settled());
    CHECK(p.snapshot().discards_by_reason["query_timeout"] == 1);
}

TEST_CASE("a transaction a request leaves open is rolled back before the next lease",
          "[tdsd][pool][reset]") {
    one_connection_pool p;
    const auto spid = p.single_int("SELECT @@SPID");
    REQUIRE(p.run("BEGIN TRANSACTION; INSERT INTO items (id, name) VALUES (902, N'uncommitted')"));
    CHECK(p.single_int("SELECT @@TRANCOUNT") == 0);
    CHECK(p.single_int("SELECT COUNT(*) FROM items WHERE id = 902") == 0);
    CHECK(p.single_int("SELECT @@SPID") == spid);  // reset, not replaced
    REQUIRE(p.settled());
    CHECK(p.snapshot().session_resets == 2);  // the new connection's first lease and the BEGIN's
    CHECK(p.snapshot().clean_returns == 3);
    CHECK(p.snapshot().discards_by_reason.empty());
}

TEST_CASE("a SET option changed by a request is gone for the next one", "[tdsd][pool][reset]") {
    one_connection_pool p;
    const auto spid = p.single_int("SELECT @@SPID");
    auto limited = p.run("SET ROWCOUNT 1; SELECT id FROM items");
    REQUIRE(limited);
    CHECK(limited.value().sets.at(0).rows.size() == 1);
    auto all = p.run("SELECT id FROM items");
    REQUIRE(all);
    CHECK(all.value().sets.at(0).rows.size() == 50);
    CHECK(p.single_int("SELECT @@SPID") == spid);
}

TEST_CASE("a #temp table created by a request is gone for the next one", "[tdsd][pool][reset]") {
    one_connection_pool p;
    const auto spid = p.single_int("SELECT @@SPID");
    auto created = p.run("CREATE TABLE #scratch (a INT); INSERT INTO #scratch (a) VALUES (1); "
                         "SELECT COUNT(*) FROM #scratch");
    INFO((created ? std::string() : created.error().message));
    REQUIRE(created);
    auto later = p.run("SELECT COUNT(*) FROM #scratch");
    REQUIRE_FALSE(later);
    CHECK(later.error().code == errc::sql_error);
    REQUIRE(p.run("CREATE TABLE #scratch (a INT)"));
    CHECK(p.single_int("SELECT @@SPID") == spid);
}

TEST_CASE("a parameter db-lib refuses never poisons the connection", "[tdsd][connection][reset]") {
    pool_test::tdsd_process server;
    auto opened = tds_pool::connection::open(server.target(), {});
    REQUIRE(opened);
    auto& conn = *opened.value();
    tds_pool::query poisoned{"SELECT @q AS q", {{"q", param_type::string, std::string("\xFF\xFE")}}, {}};
    auto bad = conn.execute(poisoned, 5s);
    INFO((bad ? std::string("accepted") : bad.error().message));
    if (auto reason = conn.unsafe_reason()) {
        SUCCEED("the connection is marked for discarding");
        return;
    }
    for (int i = 1; i <= 50; ++i) {
        tds_pool::query good{"SELECT name FROM items WHERE id = @id", {{"id", param_type::int32, std::int64_t{i}}}, {}};
        auto r = conn.execute(good, 5s);
        INFO(i << ": " << (r ? std::string() : r.error().message));
        REQUIRE(r);
        CHECK(std::get<std::string>(r.value().sets.at(0).rows.at(0).at(0)) == "item " + std::to_string(i));
    }
    CHECK(conn.validate(1s));
}

TEST_CASE("a poisoned parameter then 50 good requests through a one-connection pool",
          "[tdsd][pool][reset]") {
    one_connection_pool p;
    tds_pool::query poisoned{"SELECT @q AS q", {{"q", param_type::string, std::string("\xFF\xFE")}}, {}};
    (void)p.run(poisoned);
    for (int i = 1; i <= 50; ++i) {
        tds_pool::query good{"SELECT name FROM items WHERE id = @id", {{"id", param_type::int32, std::int64_t{i}}}, {}};
        auto r = p.run(good);
        INFO(i << ": " << (r ? std::string() : r.error().message));
        REQUIRE(r);
    }
    auto probe = p.rt.run(p.pools.probe("ACME", p.server.target(), 2s));
    CHECK(probe);
}

TEST_CASE("a statement that may leave unresettable state closes its connection", "[tdsd][pool][reset]") {
    one_connection_pool p;
    const auto first = p.single_int("SELECT @@SPID");
    REQUIRE(p.settled());
    CHECK(p.single_int("SELECT @@SPID") == first);  // plain statements keep the connection
    REQUIRE(p.settled());
    // a procedure call (tdsd refuses it; a real server could set session context or
    // take an application lock): not provable, so never reused, even when it failed
    (void)p.run("EXEC sp_set_session_context N'user', N'alice'");
    REQUIRE(p.settled());
    CHECK(p.snapshot().discards_by_reason["session_unprovable"] == 1);
    const auto after = p.single_int("SELECT @@SPID");
    CHECK(after != first);
}

TEST_CASE("a lease that only read goes back without a reset; one that wrote is reset",
          "[tdsd][pool][reset]") {
    one_connection_pool p;
    const auto spid = p.single_int("SELECT @@SPID");  // the first lease is reset: it learns @@OPTIONS
    REQUIRE(p.settled());
    CHECK(p.snapshot().session_resets == 1);
    for (int i = 0; i < 3; ++i) {
        CHECK(p.single_int("SELECT COUNT(*) FROM items /* UPDATE in a comment */ WHERE name <> 'DELETE'") == 50);
    }
    REQUIRE(p.settled());
    CHECK(p.snapshot().session_resets == 1);
    CHECK(p.snapshot().clean_returns == 3);
    REQUIRE(p.run("UPDATE items SET name = name WHERE id = 1"));
    REQUIRE(p.settled());
    CHECK(p.snapshot().session_resets == 2);
    // A transaction left open by a later lease is still rolled back.
    REQUIRE(p.run("BEGIN TRAN; INSERT INTO items (id, name) VALUES (903, N'left open')"));
    CHECK(p.single_int("SELECT COUNT(*) FROM items WHERE id = 903") == 0);
    CHECK(p.single_int("SELECT @@SPID") == spid);
    REQUIRE(p.settled());
    CHECK(p.snapshot().discards_by_reason.empty());
}

TEST_CASE("on a server that opens transactions implicitly, every lease is reset",
          "[tdsd][pool][reset]") {
    // SQL Server's 'user options' = 2: each session starts with IMPLICIT_TRANSACTIONS ON,
    // so a plain SELECT from a table leaves a transaction open.
    one_connection_pool p("user_options: 2\n");
    const auto spid = p.single_int("SELECT @@SPID");
    for (int i = 0; i < 3; ++i) {
        CHECK(p.single_int("SELECT COUNT(*) FROM items") == 50);
        CHECK(p.single_int("SELECT @@TRANCOUNT") == 0);  // the SELECT's transaction was rolled back
    }
    CHECK(p.single_int("SELECT @@SPID") == spid);
    REQUIRE(p.settled());
    CHECK(p.snapshot().clean_returns == 0);
    CHECK(p.snapshot().session_resets == 8);
    CHECK(p.snapshot().discards_by_reason.empty());
}
