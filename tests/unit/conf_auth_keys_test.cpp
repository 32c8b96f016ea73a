// auth.previous_secret_refs (keys that only verify, for key rotation) and auth.clock_leeway.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/unit/conf_test_util.hpp"

using namespace std::chrono_literals;
using conf_test::load;
using conf_test::load_error;

namespace {

/// The references below name variables that exist, in case loading checks that a
/// secret is there (its value is never read by the loader).
void set_keys() {
    ::setenv("KEY_A", "key-a", 1);
    ::setenv("KEY_B", "key-b", 1);
    ::setenv("KEY_0", "key-0", 1);
}

}  // namespace

TEST_CASE("auth rotation keys and clock leeway have defaults and are read", "[conf][auth]") {
    set_keys();
    const conf::config defaults = load("auth:\n  secret_ref: env:KEY_B\n");
    CHECK(defaults.auth.previous_secret_refs.empty());
    CHECK(defaults.auth.clock_leeway == 30s);

    const conf::config c = load(R"(
auth:
  secret_ref: env:KEY_B
  previous_secret_refs:
    - env:KEY_A
    - env:KEY_0
  clock_leeway: 10s
)");
    CHECK(c.auth.secret_ref == "env:KEY_B");
    CHECK(c.auth.previous_secret_refs == std::vector<std::string>{"env:KEY_A", "env:KEY_0"});
    CHECK(c.auth.clock_leeway == 10s);

    const conf::config flow = load("auth: {secret_ref: env:KEY_B, previous_secret_refs: [], clock_leeway: 0}\n");
    CHECK(flow.auth.previous_secret_refs.empty());
    CHECK(flow.auth.clock_leeway == 0s);
}

TEST_CASE("auth.previous_secret_refs are refs, each once, beside a secret_ref", "[conf][auth]") {
    set_keys();
    CHECK(load_error("auth:\n  secret_ref: env:KEY_B\n  previous_secret_refs: [topsecret]\n") ==
          "t.yaml:3:26: a secret reference must look like env:NAME or file:/path");
    CHECK(load_error("auth:\n  secret_ref: env:KEY_B\n  previous_secret_refs: [env:KEY_A, '']\n") ==
          "t.yaml:3:37: an empty secret reference");
    CHECK(load_error("auth:\n  secret_ref: env:KEY_B\n  previous_secret_refs: [env:KEY_A, env:KEY_A]\n") ==
          "t.yaml:3:37: listed twice");
    CHECK(load_error("auth:\n  secret_ref: env:KEY_B\n  previous_secret_refs:\n    - env:KEY_A\n    - env:KEY_B\n") ==
          "t.yaml:5:7: this is auth.secret_ref already");
    // the order of the keys does not matter
    CHECK(load_error("auth:\n  previous_secret_refs: [env:KEY_B]\n  secret_ref: env:KEY_B\n") ==
          "t.yaml:2:26: this is auth.secret_ref already");
    CHECK(load_error("auth:\n  previous_secret_refs: [env:KEY_A]\n") ==
          "t.yaml:2:25: auth.previous_secret_refs needs auth.secret_ref");
    CHECK(load_error("auth:\n  secret_ref: env:KEY_B\n  previous_secret_refs: env:KEY_A\n") ==
          "t.yaml:3:25: expected a list");
}

TEST_CASE("auth.clock_leeway is a short duration", "[conf][auth]") {
    CHECK(load_error("auth:\n  clock_leeway: 10m\n") == "t.yaml:2:17: clock_leeway must be at most 5m");
    CHECK(load("auth:\n  clock_leeway: 5m\n").auth.clock_leeway == 5min);
    CHECK_THAT(load_error("auth:\n  clock_leeway: soon\n"), Catch::StartsWith("t.yaml:2:17: "));
}
