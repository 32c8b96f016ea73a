// Policy values that used to be constants in the code: the Retry-After of the gateway's
// own 503s, an upstream's passive retry and response header limit, probe concurrency.
#include <catch2/catch.hpp>

#include "tests/unit/conf_test_util.hpp"

using namespace std::chrono_literals;
using conf_test::load;
using conf_test::load_error;

TEST_CASE("limits.retry_after has defaults and reads each value", "[conf][limits]") {
    const conf::config defaults = load("{}\n");
    const auto& d = defaults.limits.retry_after;
    CHECK(d.too_many_connections == 1s);
    CHECK(d.response_budget_exhausted == 1s);
    CHECK(d.pool_busy == 1s);
    CHECK(d.not_ready == 1s);
    CHECK(d.registry_unavailable == 5s);

    const conf::config c = load(R"(
limits:
  retry_after:
    too_many_connections: 2s
    response_budget_exhausted: 3s
    pool_busy: 4s
    not_ready: 1m
    registry_unavailable: 30s
)");
    const auto& r = c.limits.retry_after;
    CHECK(r.too_many_connections == 2s);
    CHECK(r.response_budget_exhausted == 3s);
    CHECK(r.pool_busy == 4s);
    CHECK(r.not_ready == 60s);
    CHECK(r.registry_unavailable == 30s);
}

TEST_CASE("a Retry-After is whole seconds, at least one; unknown keys are refused", "[conf][limits]") {
    CHECK(load_error("limits:\n  retry_after:\n    pool_busy: 0\n") ==
          "t.yaml:3:16: a Retry-After is a whole number of seconds, at least 1s");
    CHECK(load_error("limits:\n  retry_after: {not_ready: 1500ms}\n") ==
          "t.yaml:2:28: a Retry-After is a whole number of seconds, at least 1s");
    CHECK(load_error("limits:\n  retry_after:\n    busy: 1s\n") ==
          "t.yaml:3:5: unknown key 'busy' in limits.retry_after");
}

TEST_CASE("an upstream's passive_retry and max_response_header_bytes", "[conf][upstreams]") {
    const conf::config defaults = load("upstreams:\n  - {name: w, servers: ['http://h:1']}\n");
    CHECK(defaults.upstreams[0].passive_retry == 10s);
    CHECK(defaults.upstreams[0].max_response_header_bytes == 64 * 1024);

    const conf::config c = load(R"(
upstreams:
  - name: w
    servers: ['http://h:1']
    passive_retry: 2500ms
    max_response_header_bytes: 8192
)");
    CHECK(c.upstreams[0].passive_retry == 2500ms);
    CHECK(c.upstreams[0].max_response_header_bytes == 8192);

    CHECK(load_error("upstreams:\n  - {name: w, servers: ['http://h:1'], passive_retry: 0}\n") ==
          "t.yaml:2:55: passive_retry must be greater than 0");
    CHECK(load_error("upstreams:\n  - {name: w, servers: ['http://h:1'], max_response_header_bytes: 0}\n") ==
          "t.yaml:2:67: expected an integer in 1..4294967295");
    CHECK(load_error("upstreams:\n  - {name: w, servers: ['http://h:1'], max_response_header_bytes: 4294967296}\n") ==
          "t.yaml:2:67: expected an integer in 1..4294967295");
}

TEST_CASE("health.probe_concurrency", "[conf][health]") {
    CHECK(load("{}\n").health.probe_concurrency == 4);
    CHECK(load("health:\n  probe_concurrency: 16\n").health.probe_concurrency == 16);
    CHECK(load_error("health:\n  probe_concurrency: 0\n") ==
          "t.yaml:2:22: expected an integer in 1..18446744073709551615");
}
