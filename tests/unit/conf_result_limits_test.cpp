// The bounds of SQL results: limits.max_response_bytes, max_cell_bytes and
// max_inflight_response_bytes, the per-route overrides and the rule tying them together.
#include <catch2/catch.hpp>

#include "tests/unit/conf_test_util.hpp"

using conf_test::load;
using conf_test::load_error;

TEST_CASE("result limits have defaults and are read as byte counts", "[conf][limits]") {
    const conf::config defaults = load("");
    CHECK(defaults.limits.max_response_bytes == 16 * 1024 * 1024);
    CHECK(defaults.limits.max_cell_bytes == 4 * 1024 * 1024);
    CHECK(defaults.limits.max_inflight_response_bytes == 256 * 1024 * 1024);

    const conf::config c = load(R"(
limits:
  max_response_bytes: 1000
  max_cell_bytes: 100
  max_inflight_response_bytes: 5000
)");
    CHECK(c.limits.max_response_bytes == 1000);
    CHECK(c.limits.max_cell_bytes == 100);
    CHECK(c.limits.max_inflight_response_bytes == 5000);
    CHECK(load_error("limits:\n  max_cell_bytes: 0\n") ==
          "t.yaml:2:19: expected an integer in 1..18446744073709551615");
    CHECK(load_error("limits:\n  max_response_bytes: 16MiB\n") ==
          "t.yaml:2:23: expected an integer in 1..18446744073709551615");
}

TEST_CASE("a route may override max_response_bytes and max_cell_bytes", "[conf][limits]") {
    const conf::config c = load(R"(
routes:
  - {path: /a, kind: sql, sql: "SELECT 1", max_response_bytes: 2048, max_cell_bytes: 512}
  - {path: /b, kind: sql, sql: "SELECT 1"}
)");
    CHECK(c.routes[0].max_response_bytes == std::optional<std::size_t>(2048));
    CHECK(c.routes[0].max_cell_bytes == std::optional<std::size_t>(512));
    CHECK_FALSE(c.routes[1].max_response_bytes);
    CHECK_FALSE(c.routes[1].max_cell_bytes);
}

TEST_CASE("no response may need more than the whole response budget", "[conf][limits]") {
    CHECK(load_error(R"(
limits:
  max_response_bytes: 2000
  max_inflight_response_bytes: 1000
)") == "t.yaml:2:23: max_response_bytes 2000 exceeds limits.max_inflight_response_bytes 1000");
    CHECK(load_error(R"(
limits: {max_inflight_response_bytes: 1000, max_response_bytes: 500}
routes:
  - {path: /a, kind: sql, sql: "SELECT 1"}
  - {path: /b, kind: sql, sql: "SELECT 1", max_response_bytes: 1001}
)") == "t.yaml:4:64: max_response_bytes 1001 exceeds limits.max_inflight_response_bytes 1000");
    CHECK(load(R"(
limits: {max_inflight_response_bytes: 1000, max_response_bytes: 500}
routes:
  - {path: /a, kind: sql, sql: "SELECT 1", max_response_bytes: 1000}
)").routes[0].max_response_bytes == std::optional<std::size_t>(1000));
}
