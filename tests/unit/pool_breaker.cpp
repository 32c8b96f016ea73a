// Pure tests of the per-tenant circuit breaker with a manual clock: no sleeps.
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

/// A breaker reading a clock the test moves by hand.
struct fixture {
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
    tds_pool::circuit_breaker b{config(), [this] { return now; }};
};

}  // namespace

TEST_CASE("the breaker opens after the threshold of consecutive failures", "[breaker]") {
    fixture f;
    auto& b = f.b;
    b.on_failure();
    b.on_failure();
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.try_attempt());
    b.on_failure();
    CHECK(b.state() == breaker_state::open);
    CHECK_FALSE(b.try_attempt());
    const auto wait = b.retry_after();
    CHECK(wait >= 500ms);
    CHECK(wait <= 1000ms);
}

TEST_CASE("a success resets the count of consecutive failures", "[breaker]") {
    fixture f;
    auto& b = f.b;
    b.on_failure();
    b.on_failure();
    b.on_success();
    b.on_failure();
    b.on_failure();
    CHECK(b.state() == breaker_state::closed);
}

TEST_CASE("the wait shrinks as the clock moves and ends at the retry time", "[breaker]") {
    fixture f;
    auto& b = f.b;
    for (int i = 0; i < 3; ++i) {
        b.on_failure();
    }
    const auto wait = b.retry_after();
    f.now += wait / 2;
    CHECK(b.retry_after() == wait - wait / 2);
    CHECK_FALSE(b.try_attempt());
    f.now += wait - wait / 2;
    CHECK(b.retry_after() == 0ms);
    CHECK(b.try_attempt());
    CHECK(b.state() == breaker_state::half_open);
}

TEST_CASE("one half-open probe; its failure doubles the back-off, success closes", "[breaker]") {
    fixture f;
    auto& b = f.b;
    for (int i = 0; i < 3; ++i) {
        b.on_failure();
    }
    f.now += 1001ms;
    CHECK(b.try_attempt());
    CHECK(b.state() == breaker_state::half_open);
    CHECK_FALSE(b.try_attempt());  // only one probe
    b.on_failure();
    CHECK(b.state() == breaker_state::open);
    const auto second = b.retry_after();
    CHECK(second >= 1000ms);
    CHECK(second <= 2000ms);
    // Back-off keeps doubling up to max_backoff.
    for (int i = 0; i < 5; ++i) {
        f.now += 4001ms;
        REQUIRE(b.try_attempt());
        b.on_failure();
    }
    CHECK(b.retry_after() <= 4000ms);
    CHECK(b.retry_after() >= 2000ms);
    f.now += 4001ms;
    REQUIRE(b.try_attempt());
    b.on_success();
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.retry_after() == 0ms);
    CHECK(b.try_attempt());
}
