// The pause of a pool's inline I/O after a watchdog cut: how long it lasts, how it grows
// with cuts and when it starts over. Time is passed in, so nothing here waits.
#include <catch2/catch.hpp>

#include "tds_pool/inline_io_backoff.hpp"

using namespace std::chrono_literals;
using tds_pool::inline_io_backoff;
using tds_pool::pool_clock;

TEST_CASE("inline I/O is allowed until a cut, then paused for a minute", "[pool][inline]") {
    inline_io_backoff backoff;
    const auto t0 = pool_clock::now();
    CHECK(backoff.allowed(t0));
    CHECK(backoff.record_cut(t0) == 60s);
    CHECK_FALSE(backoff.allowed(t0));
    CHECK_FALSE(backoff.allowed(t0 + 59s));
    CHECK(backoff.allowed(t0 + 60s));
}

TEST_CASE("a cut while a pause runs neither lengthens it nor counts", "[pool][inline]") {
    inline_io_backoff backoff;
    const auto t0 = pool_clock::now();
    CHECK(backoff.record_cut(t0) == 60s);
    CHECK(backoff.record_cut(t0 + 1s) == 0s);  // a call that began before the pause
    CHECK(backoff.allowed(t0 + 60s));
    CHECK(backoff.record_cut(t0 + 61s) == 120s);  // the second pause, not the third
}

TEST_CASE("each cut after a pause doubles the next, up to an hour", "[pool][inline]") {
    inline_io_backoff backoff;
    auto now = pool_clock::now();
    const std::chrono::seconds expected[] = {60s, 120s, 240s, 480s, 960s, 1920s};
    for (int cut = 0; cut < 40; ++cut) {  // far past the doublings a shift could hold
        const auto pause = cut < 6 ? expected[cut] : 3600s;
        CHECK(backoff.record_cut(now) == pause);
        CHECK_FALSE(backoff.starts_over(now));
        now += pause;  // the pause ends and the database lies again at once
        CHECK(backoff.allowed(now));
    }
}

TEST_CASE("an hour without cuts after a pause starts over at a minute", "[pool][inline]") {
    inline_io_backoff backoff;
    const auto t0 = pool_clock::now();
    CHECK(backoff.record_cut(t0) == 60s);
    CHECK(backoff.record_cut(t0 + 60s) == 120s);
    CHECK(backoff.record_cut(t0 + 180s + 59min) == 240s);  // 59 minutes after the pause: still counted
    const auto end_of_third = t0 + 180s + 59min + 240s;
    CHECK(backoff.record_cut(end_of_third + 60min) == 60s);
}

TEST_CASE("a backoff may be forgotten only when the next cut would start over anyway", "[pool][inline]") {
    inline_io_backoff backoff;
    const auto t0 = pool_clock::now();
    CHECK(backoff.starts_over(t0));  // never cut
    backoff.record_cut(t0);
    CHECK_FALSE(backoff.starts_over(t0 + 30s));        // in the pause
    CHECK_FALSE(backoff.starts_over(t0 + 60s + 59min));  // counted still
    CHECK(backoff.starts_over(t0 + 60s + 60min));
}
