// Pure tests of the pool state machine with a fake clock: no sockets, no threads.
#include <catch2/catch.hpp>

#include "pool_state_fixture.hpp"
#include "tds_pool/pool_state.hpp"

using namespace std::chrono_literals;
using tds_pool::close_reason;
using tds_pool::pool_clock;

namespace {

using pool_test::fake_resource;
using pool_test::fixture;

tds_pool::pool_limits limits(std::size_t min_size, std::size_t max_size) {
    tds_pool::pool_limits l;
    l.min_size = min_size;
    l.max_size = max_size;
    l.max_waiters = 2;
    l.max_opening = 2;
    l.idle_timeout = 10s;
    l.max_lifetime = 60s;
    l.validate_after = 5s;
    return l;
}

}  // namespace

TEST_CASE("idle connections are reused newest first", "[pool_state]") {
    fixture f(limits(0, 4));
    const auto a = f.open_one();
    f.now += 1s;
    const auto b = f.open_one();
    auto first = f.state.take_idle();
    REQUIRE(first);
    CHECK(first->slot == b);
    CHECK_FALSE(first->needs_validation);
    auto second = f.state.take_idle();
    REQUIRE(second);
    CHECK(second->slot == a);
    CHECK_FALSE(f.state.take_idle());
    CHECK(f.state.busy_count() == 2);
    f.state.release(a, false);
    f.state.release(b, false);
    CHECK(f.state.take_idle()->slot == b);
}

TEST_CASE("a connection idle past validate_after is flagged for validation", "[pool_state]") {
    fixture f(limits(0, 1));
    f.open_one();
    f.now += 6s;
    auto lease = f.state.take_idle();
    REQUIRE(lease);
    CHECK(lease->needs_validation);
    f.state.discard(lease->slot, close_reason::validation_failed);
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::validation_failed);
    CHECK(f.state.total() == 0);
}

TEST_CASE("a returned lease is resetting until its reset ends; a waiter counts on it", "[pool_state]") {
    fixture f(limits(0, 4));
    f.open_one();
    auto lease = f.state.take_idle();
    REQUIRE(lease);
    f.state.begin_reset(lease->slot);
    CHECK(f.state.resetting_count() == 1);
    CHECK(f.state.total() == 1);
    CHECK_FALSE(f.state.take_idle());
    REQUIRE(f.state.add_waiter());
    CHECK(f.state.wanted_opens() == 0);  // the connection being reset will serve it
    f.state.finish_reset(lease->slot, std::nullopt);
    auto grant = f.state.serve_next_waiter();
    REQUIRE(grant);
    CHECK(grant->lease.slot == lease->slot);
    f.state.begin_reset(lease->slot);
    f.state.finish_reset(lease->slot, close_reason::open_transaction);
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::open_transaction);
    CHECK(f.state.total() == 0);
}

TEST_CASE("a connection being reset when draining starts closes when the reset ends", "[pool_state]") {
    fixture f(limits(0, 4));
    f.open_one();
    auto lease = f.state.take_idle();
    REQUIRE(lease);
    f.state.begin_reset(lease->slot);
    f.state.start_drain();
    CHECK_FALSE(f.state.drained());
    f.state.finish_reset(lease->slot, std::nullopt);
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::draining);
    CHECK(f.state.drained());
}

TEST_CASE("waiters beyond max_waiters are refused and served in order", "[pool_state]") {
    fixture f(limits(0, 1));
    const auto w1 = f.state.add_waiter();
    const auto w2 = f.state.add_waiter();
    REQUIRE(w1);
    REQUIRE(w2);
    CHECK_FALSE(f.state.add_waiter());
    CHECK(f.state.wanted_opens() == 1);  // max_size 1 caps the opens
    const auto id = f.state.begin_open();
    CHECK(f.state.wanted_opens() == 0);
    f.state.open_succeeded(id, std::make_unique<fake_resource>());
    auto g = f.state.serve_next_waiter();
    REQUIRE(g);
    CHECK(g->waiter == *w1);
    CHECK_FALSE(f.state.serve_next_waiter());
    f.state.release(id, false);
    g = f.state.serve_next_waiter();
    REQUIRE(g);
    CHECK(g->waiter == *w2);
    CHECK(f.state.waiter_count() == 0);
}

TEST_CASE("a timed-out waiter is removed and not served", "[pool_state]") {
    fixture f(limits(0, 1));
    const auto w = f.state.add_waiter();
    CHECK(f.state.remove_waiter(*w));
    CHECK_FALSE(f.state.remove_waiter(*w));
    f.open_one();
    CHECK_FALSE(f.state.serve_next_waiter());
}

TEST_CASE("max_opening and max_size bound the opens wanted", "[pool_state]") {
    auto l = limits(0, 3);
    l.max_waiters = 10;
    fixture f(l);
    for (int i = 0; i < 5; ++i) {
        f.state.add_waiter();
    }
    CHECK(f.state.wanted_opens() == 2);
    f.state.begin_open();
    f.state.begin_open();
    CHECK(f.state.wanted_opens() == 0);
    f.open_one();  // a third slot: max_size reached
    CHECK(f.state.total() == 3);
}

TEST_CASE("min_size is kept open", "[pool_state]") {
    fixture f(limits(2, 4));
    CHECK(f.state.wanted_opens() == 2);
    f.open_one();
    CHECK(f.state.wanted_opens() == 1);
    f.open_one();
    CHECK(f.state.wanted_opens() == 0);
}

TEST_CASE("the janitor closes idle connections above min_size and expired ones", "[pool_state]") {
    fixture f(limits(1, 4));
    f.open_one();
    f.open_one();
    f.open_one();
    f.now += 11s;
    f.state.run_janitor();
    auto closed = f.state.take_closed();
    CHECK(closed.size() == 2);
    for (const auto& c : closed) {
        CHECK(c.reason == close_reason::idle_timeout);
        CHECK(c.resource != nullptr);
    }
    CHECK(f.state.idle_count() == 1);
    f.now += 50s;  // 61 s old: past max_lifetime even though it is the last one
    f.state.run_janitor();
    closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::max_lifetime);
    CHECK(f.state.wanted_opens() == 1);  // back to min_size
}

TEST_CASE("an expired connection is closed when released or taken", "[pool_state]") {
    fixture f(limits(0, 2));
    const auto a = f.open_one();
    const auto b = f.open_one();
    auto lease = f.state.take_idle();
    REQUIRE(lease->slot == b);
    f.now += 61s;
    f.state.release(b, false);
    CHECK_FALSE(f.state.take_idle());  // a expired while idle
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 2);
    CHECK(closed[0].reason == close_reason::max_lifetime);
    CHECK(closed[1].reason == close_reason::max_lifetime);
    (void)a;
}

TEST_CASE("broken connections are destroyed, never reused", "[pool_state]") {
    fixture f(limits(0, 2));
    const auto a = f.open_one();
    REQUIRE(f.state.take_idle()->slot == a);
    f.state.release(a, true);
    CHECK(f.state.total() == 0);
    CHECK_FALSE(f.state.take_idle());
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::broken);
}

TEST_CASE("a failed open leaves the pool", "[pool_state]") {
    fixture f(limits(0, 2));
    const auto id = f.state.begin_open();
    CHECK(f.state.opening_count() == 1);
    f.state.open_failed(id);
    CHECK(f.state.total() == 0);
    auto closed = f.state.take_closed();
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == close_reason::open_failed);
    CHECK(closed[0].resource == nullptr);
}

TEST_CASE("draining closes idle now and busy on release", "[pool_state]") {
    fixture f(limits(1, 3));
    const auto a = f.open_one();
    f.open_one();
    const auto opening = f.state.begin_open();
    REQUIRE(f.state.take_idle()->slot != a);  // take the newest
    f.state.start_drain();
    CHECK(f.state.idle_count() == 0);
    CHECK(f.state.wanted_opens() == 0);
    CHECK_FALSE(f.state.drained());
    f.state.open_succeeded(opening, std::make_unique<fake_resource>());
    CHECK(f.state.idle_count() == 0);
    f.state.release(2, false);
    CHECK(f.state.drained());
    for (const auto& c : f.state.take_closed()) {
        CHECK(c.reason == close_reason::draining);
    }
}

TEST_CASE("releasing a slot that is not busy is a logic error", "[pool_state]") {
    fixture f(limits(0, 1));
    const auto a = f.open_one();
    CHECK_THROWS_AS(f.state.release(a, false), std::logic_error);
}

TEST_CASE("shedding idle connections keeps min_size and busy ones", "[pool_state]") {
    fixture f(limits(1, 4));
    f.open_one();
    f.open_one();
    const auto busy = f.open_one();
    REQUIRE(f.state.take_idle()->slot == busy);
    f.state.shed_idle();
    CHECK(f.state.idle_count() == 0);  // the busy one alone already meets min_size
    CHECK(f.state.busy_count() == 1);
    for (const auto& c : f.state.take_closed()) {
        CHECK(c.reason == close_reason::reclaimed);
    }
}
