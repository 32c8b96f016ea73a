// `rate_limits:`, a tenant's limit keys and a route's `rate_limit:`.
#include <catch2/catch.hpp>

#include "tests/unit/conf_test_util.hpp"

using conf_test::load;
using conf_test::load_error;

TEST_CASE("rate_limits: absent means unlimited; every key is read", "[conf][rate_limits]") {
    const conf::config none = load("listen:\n  port: 0\n");
    CHECK(none.rate_limits.per_second == 0);
    CHECK(none.rate_limits.max_concurrent == 0);
    CHECK(none.rate_limits.max_buckets == 100000);
    const conf::config c = load(
        "rate_limits:\n  per_second: 20\n  burst: 40\n  max_concurrent: 8\n"
        "  per_user_per_second: 5\n  per_user_burst: 10\n  max_buckets: 1000\n");
    CHECK(c.rate_limits.per_second == 20);
    CHECK(c.rate_limits.burst == 40);
    CHECK(c.rate_limits.max_concurrent == 8);
    CHECK(c.rate_limits.per_user_per_second == 5);
    CHECK(c.rate_limits.per_user_burst == 10);
    CHECK(c.rate_limits.max_buckets == 1000);
}

TEST_CASE("rate_limits: unknown keys and bad values name their place", "[conf][rate_limits]") {
    CHECK(load_error("rate_limits:\n  per_minute: 3\n") == "t.yaml:2:3: unknown key 'per_minute' in rate_limits");
    CHECK(load_error("rate_limits:\n  per_second: -1\n").find("t.yaml:2:15: expected an integer") == 0);
    CHECK(load_error("rate_limits:\n  max_buckets: 10\n").find("t.yaml:2:16: expected an integer in 256..") == 0);
}

TEST_CASE("rate_limits: a tenant's own limits and a route's own bucket", "[conf][rate_limits]") {
    const conf::config c = load(R"(
tenants:
  - code: acme
    server: db
    database: d
    rate_limit_per_second: 7
    rate_limit_burst: 9
    max_concurrent_requests: 2
  - code: globex
    server: db
    database: d
routes:
  - path: /a
    kind: echo
    rate_limit: {per_second: 3, burst: 6}
  - path: /b
    kind: echo
)");
    CHECK(c.tenants[0].rate_limit_per_second == 7u);
    CHECK(c.tenants[0].rate_limit_burst == 9u);
    CHECK(c.tenants[0].max_concurrent_requests == 2u);
    CHECK_FALSE(c.tenants[1].rate_limit_per_second);
    REQUIRE(c.routes[0].rate_limit);
    CHECK(c.routes[0].rate_limit->per_second == 3);
    CHECK(c.routes[0].rate_limit->burst == 6);
    CHECK_FALSE(c.routes[1].rate_limit);
    CHECK(load_error("routes:\n  - path: /a\n    kind: echo\n    rate_limit: {per_second: 3, window: 1}\n") ==
          "t.yaml:4:33: unknown key 'window' in rate_limit");
}
