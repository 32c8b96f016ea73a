// The tenant limits: token bucket arithmetic (time stepped by hand), the sharded
// limiter's bound and in-flight counts, and which source's limits a request gets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>

#include "gateway/http/tenant_admission.hpp"
#include "gateway/http/tenant_limiter.hpp"
#include "gateway/http/token_bucket.hpp"

using gateway::bucket_rule;
using gateway::take_token;
using gateway::token_bucket;
using namespace std::chrono_literals;

namespace {
const token_bucket::clock::time_point t0 = token_bucket::clock::time_point{} + 1000s;
}

TEST_CASE("token bucket: starts full, spends its burst, then refuses with Retry-After", "[gateway][rate_limits]") {
    token_bucket bucket;
    const bucket_rule rule{10, 3};
    for (std::uint32_t left = 2;; --left) {
        const auto v = take_token(bucket, rule, t0);
        REQUIRE(v.allowed);
        CHECK(v.remaining == left);
        if (left == 0) break;
    }
    const auto refused = take_token(bucket, rule, t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.remaining == 0);
    CHECK(refused.retry_after == 1);  // a tenth of a second, rounded up to whole seconds
    CHECK(refused.reset_seconds == 1);
}

TEST_CASE("token bucket: refills at its rate, never beyond its burst", "[gateway][rate_limits]") {
    token_bucket bucket;
    const bucket_rule rule{2, 0};  // burst 0: the rate
    CHECK(take_token(bucket, rule, t0).allowed);
    CHECK(take_token(bucket, rule, t0).allowed);
    CHECK_FALSE(take_token(bucket, rule, t0).allowed);
    CHECK_FALSE(take_token(bucket, rule, t0 + 400ms).allowed);  // 0.8 of a token
    CHECK(take_token(bucket, rule, t0 + 600ms).allowed);
    const auto later = take_token(bucket, rule, t0 + 1h);
    CHECK(later.allowed);
    CHECK(later.remaining == 1);
    CHECK(later.reset_seconds == 1);
}

TEST_CASE("token bucket: a slow rate asks for a longer wait", "[gateway][rate_limits]") {
    token_bucket bucket;
    const bucket_rule rule{1, 1};
    CHECK(take_token(bucket, rule, t0).allowed);
    const auto refused = take_token(bucket, rule, t0 + 100ms);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == 1);
    token_bucket slow;
    const bucket_rule tenth{1, 5};
    for (int i = 0; i < 5; ++i) CHECK(take_token(slow, tenth, t0).allowed);
    CHECK(take_token(slow, tenth, t0).reset_seconds == 5);
}

TEST_CASE("token bucket: a smaller burst after a reload applies at once", "[gateway][rate_limits]") {
    token_bucket bucket;
    CHECK(take_token(bucket, {100, 100}, t0).remaining == 99);
    const auto v = take_token(bucket, {100, 5}, t0);
    CHECK(v.allowed);
    CHECK(v.remaining == 4);
}

TEST_CASE("tenant limiter: buckets per key, in-flight counts refuse beyond the limit", "[gateway][rate_limits]") {
    gateway::tenant_limiter limiter;
    const bucket_rule rule{1, 1};
    CHECK(limiter.take("ACME", rule, t0).allowed);
    CHECK_FALSE(limiter.take("ACME", rule, t0).allowed);
    CHECK(limiter.take("GLOBEX", rule, t0).allowed);
    CHECK(limiter.enter("ACME", 2));
    CHECK(limiter.enter("ACME", 2));
    CHECK_FALSE(limiter.enter("ACME", 2));
    limiter.leave("ACME");
    {
        gateway::concurrency_permit permit(limiter, "ACME");  // stands for the enter just below
        CHECK(limiter.enter("ACME", 2));
        CHECK_FALSE(limiter.enter("ACME", 2));
    }
    CHECK(limiter.enter("ACME", 2));
}

TEST_CASE("tenant limiter: the number of entries is bounded, busy ones are kept", "[gateway][rate_limits]") {
    gateway::tenant_limiter limiter(256);
    const bucket_rule rule{1000, 1000};
    REQUIRE(limiter.enter("BUSY", 1));
    for (int i = 0; i < 10000; ++i) limiter.take("T" + std::to_string(i), rule, t0 + std::chrono::milliseconds(i));
    CHECK(limiter.size() <= 256 + 16);
    CHECK_FALSE(limiter.enter("BUSY", 1));  // still counted: not evicted while in flight
}

TEST_CASE("token bucket: a share scales the rate and the size, never below one token", "[gateway][rate_limits]") {
    token_bucket bucket;
    bucket_rule third{30, 30, 1.0 / 3};
    for (int i = 0; i < 10; ++i) CHECK(take_token(bucket, third, t0).allowed);
    CHECK_FALSE(take_token(bucket, third, t0).allowed);
    CHECK_FALSE(take_token(bucket, third, t0 + 90ms).allowed);  // 0.9 of a token at 10 a second
    CHECK(take_token(bucket, third, t0 + 110ms).allowed);
    token_bucket tiny;
    const bucket_rule sliver{2, 2, 0.01};
    CHECK(take_token(tiny, sliver, t0).allowed);  // a bucket of one token, not of 0.02
    CHECK_FALSE(take_token(tiny, sliver, t0).allowed);
}

TEST_CASE("tenant limiter: demand is drained per key, shares apply and fall back whole", "[gateway][rate_limits]") {
    gateway::tenant_limiter limiter;
    const bucket_rule rule{100, 100};
    for (int i = 0; i < 7; ++i) limiter.take("ACME", rule, t0);
    limiter.take("GLOBEX", rule, t0);
    auto demand = limiter.drain_demand(10);
    std::sort(demand.begin(), demand.end());
    REQUIRE(demand.size() == 2);
    CHECK(demand[0] == std::pair<std::string, std::uint32_t>{"ACME", 7});
    CHECK(demand[1] == std::pair<std::string, std::uint32_t>{"GLOBEX", 1});
    CHECK(limiter.drain_demand(10).empty());  // counts start again

    // a tenth of the bucket: it shrinks to 10 tokens at once, one is taken
    limiter.set_share("ACME", 0.1);
    CHECK(limiter.take("ACME", rule, t0).remaining == 9);
    limiter.reset_shares();
    CHECK(limiter.take("ACME", rule, t0 + 1s).remaining == 99);

    // half of GLOBEX's: 50 tokens refilled at 50 a second
    limiter.set_share("GLOBEX", 0.5);
    CHECK(limiter.take("GLOBEX", rule, t0 + 1s).remaining == 49);
    limiter.drain_demand(10);  // GLOBEX was taken from: it keeps its share
    limiter.drain_demand(10);  // idle since: whole again, refilled at 100 a second
    CHECK(limiter.take("GLOBEX", rule, t0 + 1500ms).remaining == 98);

    // capped: the busiest keys first
    limiter.drain_demand(10);
    for (int i = 0; i < 3; ++i) limiter.take("ACME", rule, t0 + 2s);
    limiter.take("NEW", rule, t0 + 2s);
    demand = limiter.drain_demand(1);
    REQUIRE(demand.size() == 1);
    CHECK(demand[0] == std::pair<std::string, std::uint32_t>{"ACME", 3});
}

TEST_CASE("tenant limits: route over registry over YAML tenant over defaults", "[gateway][rate_limits]") {
    conf::rate_limits_config defaults;
    defaults.per_second = 20;
    defaults.burst = 40;
    defaults.max_concurrent = 8;
    defaults.per_user_per_second = 5;
    conf::tenant_config yaml;
    conf::route_config route;

    auto l = gateway::limits_for(defaults, nullptr, std::nullopt, route);
    CHECK(l.bucket.per_second == 20);
    CHECK(l.bucket.capacity() == 40);
    CHECK(l.max_concurrent == 8);
    CHECK_FALSE(l.user.limited());
    CHECK(l.policy == "tenant");

    yaml.rate_limit_per_second = 7;
    yaml.max_concurrent_requests = 2;
    l = gateway::limits_for(defaults, &yaml, std::nullopt, route);
    CHECK(l.bucket.capacity() == 7);  // its own rate without a burst: a burst of that rate
    CHECK(l.max_concurrent == 2);

    const gateway::tenant_limit_override row{3, std::nullopt};
    l = gateway::limits_for(defaults, &yaml, row, route);
    CHECK(l.bucket.per_second == 3);
    CHECK(l.max_concurrent == 2);

    route.auth_required = true;
    route.rate_limit = conf::route_rate_limit{1, 2};
    l = gateway::limits_for(defaults, &yaml, row, route);
    CHECK(l.policy == "route");
    CHECK(l.bucket.capacity() == 2);
    CHECK(l.user.per_second == 5);
}
