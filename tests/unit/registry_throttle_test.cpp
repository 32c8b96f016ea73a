// The rate limit on on-demand look-ups and the backoff between load attempts, on an
// injected clock and injected random draws: no sleeps.
#include <catch2/catch.hpp>

#include "tds_pool/registry/registry_throttle.hpp"

using namespace std::chrono_literals;
using tds_pool::lookup_limiter;
using tds_pool::retry_backoff;

TEST_CASE("the limiter lets a burst through, then the rate") {
    const auto t0 = lookup_limiter::clock::time_point{} + 1h;
    lookup_limiter limiter(10, 20, t0);
    int taken = 0;
    for (int i = 0; i < 100; ++i) taken += limiter.try_take(t0) ? 1 : 0;
    CHECK(taken == 20);
    CHECK_FALSE(limiter.try_take(t0 + 50ms));  // half a token
    CHECK(limiter.try_take(t0 + 100ms));
    CHECK_FALSE(limiter.try_take(t0 + 100ms));
    // a long pause refills to the burst, no further
    taken = 0;
    for (int i = 0; i < 100; ++i) taken += limiter.try_take(t0 + 1h) ? 1 : 0;
    CHECK(taken == 20);
}

TEST_CASE("100k random codes over 30 s cost at most rate * seconds + burst look-ups") {
    const auto t0 = lookup_limiter::clock::time_point{} + 1h;
    lookup_limiter limiter(10, 20, t0);
    int taken = 0;
    for (int i = 0; i < 100000; ++i) {
        taken += limiter.try_take(t0 + std::chrono::microseconds(i * 300)) ? 1 : 0;
    }
    CHECK(taken <= 10 * 30 + 20);
    CHECK(taken >= 10 * 29);
}

TEST_CASE("a rate of 0 never asks") {
    const auto t0 = lookup_limiter::clock::time_point{};
    lookup_limiter limiter(0, 5, t0);
    CHECK_FALSE(limiter.try_take(t0));
    CHECK_FALSE(limiter.try_take(t0 + 1h));
}

TEST_CASE("backoff doubles from base to max, jittered between half and all") {
    retry_backoff backoff(1000ms, 8000ms);
    CHECK(backoff.next(0.0) == 500ms);
    CHECK(backoff.next(0.999) >= 1990ms);
    CHECK(backoff.next(0.5) == 3000ms);
    CHECK(backoff.next(0.0) == 4000ms);
    for (int i = 0; i < 100; ++i) {
        const auto wait = backoff.next(1.0);
        CHECK(wait <= 8000ms);
        CHECK(wait >= 4000ms);
    }
    CHECK(backoff.attempts() == 104);
    backoff.reset();
    CHECK(backoff.next(1.0) == 1000ms);
}

TEST_CASE("backoff never overflows after many attempts") {
    retry_backoff backoff(1ms, 30000ms);
    std::chrono::milliseconds last{};
    for (int i = 0; i < 10000; ++i) last = backoff.next(0.0);
    CHECK(last == 15000ms);
}
