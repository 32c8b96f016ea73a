// auth.login_limit and the unknown-user dummy hash settings.
#include <catch2/catch.hpp>

#include "tests/unit/conf_test_util.hpp"

using namespace std::chrono_literals;
using conf_test::load;
using conf_test::load_error;

TEST_CASE("auth.login_limit has defaults and reads every budget", "[conf][auth]") {
    const conf::config defaults = load("{}\n");
    CHECK(defaults.auth.login_limit.max_failures == 5);
    CHECK(defaults.auth.login_limit.per_address_max_failures == 50);
    CHECK(defaults.auth.login_limit.window == 5min);
    CHECK(defaults.auth.login_limit.max_entries == 100000);
    CHECK(defaults.auth.dummy_hash_scheme == "$y$");
    CHECK(defaults.auth.dummy_hash_cost == 0);

    const conf::config c = load(R"(
auth:
  dummy_hash_scheme: $2b$
  dummy_hash_cost: 11
  login_limit: {max_failures: 3, per_address_max_failures: 20, window: 2m, max_entries: 500}
)");
    CHECK(c.auth.login_limit.max_failures == 3);
    CHECK(c.auth.login_limit.per_address_max_failures == 20);
    CHECK(c.auth.login_limit.window == 2min);
    CHECK(c.auth.login_limit.max_entries == 500);
    CHECK(c.auth.dummy_hash_scheme == "$2b$");
    CHECK(c.auth.dummy_hash_cost == 11);
}

TEST_CASE("auth.login_limit refuses unknown keys and useless values", "[conf][auth]") {
    CHECK(load_error("auth:\n  login_limit:\n    max_attempts: 3\n") ==
          "t.yaml:3:5: unknown key 'max_attempts' in auth.login_limit");
    CHECK_THAT(load_error("auth:\n  login_limit: {max_failures: 0}\n"), Catch::StartsWith("t.yaml:2:31:"));
    CHECK_THAT(load_error("auth:\n  login_limit: {window: 500ms}\n"),
               Catch::Contains("window must be at least 1s"));
    CHECK_THAT(load_error("auth:\n  dummy_hash_scheme: $1$\n"), Catch::Contains("expected one of"));
    CHECK_THAT(load_error("auth:\n  dummy_hash_scheme: $2b$\n  dummy_hash_cost: 40\n"),
               Catch::Contains("dummy_hash_cost out of range"));
}
