// A tenant pool against a real tdsd whose replies lie about their end (fake_done): the
// watchdog cuts the event-loop read, the pool reads on its workers while the pause runs,
// and reads on the loop again once its clock has passed the pause.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "tds_pool/connection_budget.hpp"
#include "tds_pool/inline_io_backoff.hpp"
#include "tds_pool/open_throttle.hpp"
#include "tds_pool/tenant_pool.hpp"
#include "tests/unit/pool_support.hpp"

using namespace std::chrono_literals;
using tds_pool::errc;
using tds_pool::pool_clock;

namespace {

// Real time plus a shift the test moves forward (timers and deadlines stay real).
struct shifted_clock {
    std::shared_ptr<std::atomic<pool_clock::rep>> shift = std::make_shared<std::atomic<pool_clock::rep>>(0);
    pool_clock::time_point operator()() const { return pool_clock::now() + pool_clock::duration(shift->load()); }
    void advance(pool_clock::duration by) { shift->fetch_add(by.count()); }
};

tds_pool::outcome<tds_pool::query_result> run(pool_test::io_runtime& rt, std::shared_ptr<tds_pool::tenant_pool> pool,
                                              const std::string& sql) {
    tds_pool::query q{sql, {}, 1s};
    return rt.run(tds_pool::tenant_pool::execute(std::move(pool), std::move(q), pool_clock::now() + 10s));
}

}  // namespace

TEST_CASE("after a cut the pool reads on its workers until the pause ends, then on the loop again",
          "[tdsd][pool][inline]") {
    pool_test::tdsd_process server;
    pool_test::io_runtime rt;
    // Joined below, before the io_context their jobs report back to goes away (as the
    // pool manager's destructor does).
    auto workers = std::make_shared<boost::asio::thread_pool>(4);
    shifted_clock clock;
    auto settings = tds_pool::tenant_pool_settings::from_config(conf::pools_config{});
    auto pool = std::make_shared<tds_pool::tenant_pool>(
        rt.ioc().get_executor(), workers,
        std::make_shared<tds_pool::connection_budget>(100, 100), std::make_shared<tds_pool::open_throttle>(0), "LIAR",
        server.target(), settings, std::make_shared<tds_pool::inline_io_backoff>(), clock);
    pool->start();
    // 4,000 bytes of UTF-16 in one cell; fake_done replaces its last 1,000 by a final DONE
    const std::string sql = "SELECT '" + std::string(2000, 'x') + "' AS Body";
    for (int i = 0; i < 3; ++i) REQUIRE(run(rt, pool, sql).has_value());

    REQUIRE(server.control("fake_done db1 1000") == "ok");
    auto lie = run(rt, pool, sql);  // read on the loop, cut by the watchdog
    REQUIRE_FALSE(lie.has_value());
    CHECK(lie.error().code == errc::connection_lost);

    lie = run(rt, pool, sql);  // the pause: on a worker, where it waits out its time-out
    REQUIRE_FALSE(lie.has_value());
    CHECK(lie.error().code == errc::query_timeout);

    clock.advance(tds_pool::inline_io_backoff::first_pause + 1s);
    lie = run(rt, pool, sql);  // on the loop again, so cut again
    REQUIRE_FALSE(lie.has_value());
    CHECK(lie.error().code == errc::connection_lost);

    REQUIRE(server.control("reset") == "ok");
    CHECK(run(rt, pool, sql).has_value());
    pool->drain();
    CHECK(pool_test::eventually([&] { return pool->drained(); }));
    workers->join();
}
