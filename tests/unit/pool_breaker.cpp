// Pure tests of the per-tenant circuit breaker with explicit times.
#include <catch2/catch.hpp>

#include "tds_pool/circuit_breaker.hpp"

using namespace std::chrono_literals;
using tds_pool::breaker_state;

namespace {

conf::breaker_config config() {
    conf::breaker_config c;
    c.failure_threshold = 3;
    c.base_backoff = 1000ms;
    c.max_backoff = 4000ms;
    return c;
}

}  // namespace

TEST_CASE("the breaker opens after the threshold of consecutive failures", "[breaker]") {
    tds_pool::circuit_breaker b(config());
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    b.on_failure(t0);
    b.on_failure(t0);
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.try_attempt(t0));
    b.on_failure(t0);
    CHECK(b.state() == breaker_state::open);
    CHECK_FALSE(b.try_attempt(t0));
    const auto wait = b.retry_after(t0);
    CHECK(wait >= 500ms);
    CHECK(wait <= 1000ms);
}

TEST_CASE("a success resets the count of consecutive failures", "[breaker]") {
    tds_pool::circuit_breaker b(config());
    const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
    b.on_failure(t0);
    b.on_failure(t0);
    b.on_success();
    b.on_failure(t0);
    b.on_failure(t0);
    CHECK(b.state() == breaker_state::closed);
}

TEST_CASE("one half-open probe; its failure doubles the back-off, success closes", "[breaker]") {
    tds_pool::circuit_breaker b(config());
    auto now = std::chrono::steady_clock::time_point{} + 1h;
    for (int i = 0; i < 3; ++i) {
        b.on_failure(now);
    }
    now += 1001ms;
    CHECK(b.try_attempt(now));
    CHECK(b.state() == breaker_state::half_open);
    CHECK_FALSE(b.try_attempt(now));  // only one probe
    b.on_failure(now);
    CHECK(b.state() == breaker_state::open);
    const auto second = b.retry_after(now);
    CHECK(second >= 1000ms);
    CHECK(second <= 2000ms);
    // Back-off keeps doubling up to max_backoff.
    for (int i = 0; i < 5; ++i) {
        now += 4001ms;
        REQUIRE(b.try_attempt(now));
        b.on_failure(now);
    }
    CHECK(b.retry_after(now) <= 4000ms);
    CHECK(b.retry_after(now) >= 2000ms);
    now += 4001ms;
    REQUIRE(b.try_attempt(now));
    b.on_success();
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.retry_after(now) == 0ms);
    CHECK(b.try_attempt(now));
}
