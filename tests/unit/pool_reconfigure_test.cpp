// A reloaded `pools:` section applied to a live pool's state machine (pool_state::
// reconfigure): a smaller cap closes surplus idle connections now and busy ones when they
// come back, a larger one allows more, new timeouts apply from the next check. Fake clock.
#include <catch2/catch.hpp>

#include "pool_state_fixture.hpp"
#include "tds_pool/pool_state.hpp"

using namespace std::chrono_literals;
using pool_test::fixture;
using tds_pool::close_reason;

/// A pool of `min_size` to `max_size` connections whose other limits never interfere.
static tds_pool::pool_limits limits(std::size_t min_size, std::size_t max_size) {
    return {.min_size = min_size, .max_size = max_size, .max_waiters = 10, .max_opening = 4,
            .idle_timeout = 60s, .max_lifetime = 600s, .validate_after = 30s};
}

TEST_CASE("a smaller max_size closes surplus idle connections, oldest-used first", "[pool_reconfigure]") {
    fixture f(limits(0, 4));
    const auto a = f.open_one();
    f.now += 1s;
    const auto b = f.open_one();
    f.now += 1s;
    const auto c = f.open_one();
    f.state.reconfigure(limits(0, 1));
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 2);
    CHECK(closed[0].slot == a);
    CHECK(closed[1].slot == b);
    for (const auto& gone : closed) CHECK(gone.reason == close_reason::over_cap);
    CHECK(f.state.idle_count() == 1);
    CHECK(f.state.take_idle()->slot == c);  // the warm one is kept
    CHECK(f.state.limits().max_size == 1);
}

TEST_CASE("busy connections above a lowered cap close when released, not before", "[pool_reconfigure]") {
    fixture f(limits(0, 3));
    f.open_one();
    f.open_one();
    const auto first = f.state.take_idle();
    const auto second = f.state.take_idle();
    REQUIRE((first && second));
    f.state.reconfigure(limits(0, 1));
    CHECK(f.state.take_closed().empty());  // no query is cut off
    CHECK(f.state.busy_count() == 2);
    f.state.release(first->slot, false);
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::over_cap);
    f.state.release(second->slot, false);
    CHECK(f.state.take_closed().empty());  // now within the cap: kept
    CHECK(f.state.idle_count() == 1);
}

TEST_CASE("a lowered cap limits new acquisitions, a raised one allows more", "[pool_reconfigure]") {
    fixture f(limits(0, 4));
    f.open_one();
    CHECK(f.state.take_idle());
    f.state.reconfigure(limits(0, 1));
    f.state.add_waiter();
    CHECK(f.state.wanted_opens() == 0);  // the one busy connection is all it may have
    f.state.reconfigure(limits(0, 3));
    CHECK(f.state.wanted_opens() == 1);  // the waiter may get a second connection
    f.state.add_waiter();
    f.state.add_waiter();
    CHECK(f.state.wanted_opens() == 2);  // three in all, no more
}

TEST_CASE("a connection opened while the cap was lowered closes when its open ends", "[pool_reconfigure]") {
    fixture f(limits(0, 2));
    f.open_one();
    REQUIRE(f.state.take_idle());  // busy: the reload cannot close it
    const auto opening = f.state.begin_open();
    f.state.reconfigure(limits(0, 1));
    CHECK(f.state.take_closed().empty());
    f.state.open_succeeded(opening, std::make_unique<pool_test::fake_resource>());
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].slot == opening);
    CHECK(closed[0].reason == close_reason::over_cap);
}

TEST_CASE("new idle_timeout and max_lifetime apply to connections opened before", "[pool_reconfigure]") {
    fixture f(limits(0, 4));
    f.open_one();
    f.open_one();
    f.now += 20s;
    f.state.run_janitor();
    CHECK(f.state.take_closed().empty());  // 20 s idle is under the old 60 s
    auto shorter = limits(0, 4);
    shorter.idle_timeout = 10s;
    f.state.reconfigure(shorter);
    CHECK(f.state.take_closed().empty());  // the janitor's job, not the reload's
    f.state.run_janitor();
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 2);
    CHECK(closed[0].reason == close_reason::idle_timeout);

    f.open_one();
    f.now += 30s;
    auto short_life = shorter;
    short_life.max_lifetime = 25s;
    f.state.reconfigure(short_life);
    CHECK_FALSE(f.state.take_idle());  // 30 s old: past the new lifetime
    closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::max_lifetime);
}

TEST_CASE("a new validate_after decides which idle connection is validated", "[pool_reconfigure]") {
    fixture f(limits(0, 1));
    f.open_one();
    f.now += 10s;
    auto tight = limits(0, 1);
    tight.validate_after = 5s;
    f.state.reconfigure(tight);
    auto lease = f.state.take_idle();
    REQUIRE(lease);
    CHECK(lease->needs_validation);
}

TEST_CASE("a raised min_size is opened; min_size never exceeds max_size", "[pool_reconfigure]") {
    fixture f(limits(0, 4));
    CHECK(f.state.wanted_opens() == 0);
    f.state.reconfigure(limits(2, 4));
    CHECK(f.state.wanted_opens() == 2);
    f.state.reconfigure(limits(5, 3));
    CHECK(f.state.limits().min_size == 3);
    CHECK(f.state.wanted_opens() == 3);
}

TEST_CASE("a smaller max_waiters refuses new waiters and keeps queued ones", "[pool_reconfigure]") {
    fixture f(limits(0, 1));
    const auto first = f.state.add_waiter();
    const auto second = f.state.add_waiter();
    REQUIRE((first && second));
    auto fewer = limits(0, 1);
    fewer.max_waiters = 1;
    f.state.reconfigure(fewer);
    CHECK(f.state.waiter_count() == 2);
    CHECK_FALSE(f.state.add_waiter());
    f.open_one();
    const auto served = f.state.serve_next_waiter();
    REQUIRE(served);
    CHECK(served->waiter == *first);
}

TEST_CASE("a draining pool stays draining through a reconfigure", "[pool_reconfigure]") {
    fixture f(limits(0, 2));
    f.open_one();
    f.state.start_drain();
    f.state.reconfigure(limits(1, 4));
    CHECK(f.state.draining());
    CHECK(f.state.wanted_opens() == 0);
}
