// auth.login_limit and the unknown-user dummy hash settings.
#include <catch2/catch.hpp>

#include <cstdlib>

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

TEST_CASE("auth.login_limit.shared reads the Redis URL, prefix and timeout", "[conf][auth]") {
    CHECK_FALSE(load("{}\n").auth.login_limit.shared);
    const conf::config c = load(R"(
auth:
  login_limit:
    shared: {redis: "redis://:s3cret@cache.internal:6380/2", key_prefix: "tg:", timeout: 20ms}
)");
    REQUIRE(c.auth.login_limit.shared);
    const auto& shared = *c.auth.login_limit.shared;
    CHECK(shared.redis.host == "cache.internal");
    CHECK(shared.redis.port == 6380);
    CHECK(shared.redis.database == 2);
    CHECK(shared.redis.username.empty());
    CHECK(shared.redis.password == "s3cret");
    CHECK(shared.redis.display == "cache.internal:6380/2");
    CHECK(shared.key_prefix == "tg:");
    CHECK(shared.timeout == 20ms);

    const auto plain = load("auth:\n  login_limit:\n    shared: {redis: \"redis://127.0.0.1\"}\n");
    REQUIRE(plain.auth.login_limit.shared);
    CHECK(plain.auth.login_limit.shared->redis.port == 6379);
    CHECK(plain.auth.login_limit.shared->redis.database == 0);
    CHECK(plain.auth.login_limit.shared->key_prefix == "tenant-gateway:login:");
    CHECK(plain.auth.login_limit.shared->timeout == 50ms);
}

TEST_CASE("auth.login_limit.shared takes its password from the environment", "[conf][auth]") {
    ::setenv("TG_TEST_REDIS_PASSWORD", "from-env", 1);
    const auto c = load("auth:\n  login_limit:\n    shared:\n"
                        "      redis: \"redis://ops:${TG_TEST_REDIS_PASSWORD}@[::1]:7000/1\"\n");
    REQUIRE(c.auth.login_limit.shared);
    CHECK(c.auth.login_limit.shared->redis.username == "ops");
    CHECK(c.auth.login_limit.shared->redis.password == "from-env");
    CHECK(c.auth.login_limit.shared->redis.host == "::1");
    CHECK(c.auth.login_limit.shared->redis.display == "[::1]:7000/1");
}

TEST_CASE("auth.login_limit.shared refuses bad URLs without repeating them", "[conf][auth]") {
    CHECK(load_error("auth:\n  login_limit:\n    shared: {redis: \"redis://h\", port: 1}\n") ==
          "t.yaml:3:34: unknown key 'port' in auth.login_limit.shared");
    CHECK_THAT(load_error("auth:\n  login_limit:\n    shared: {key_prefix: x}\n"),
               Catch::Contains("needs redis"));
    for (const char* bad : {"http://h:6379", "redis://:pw@h:0", "redis://:pw@h/16", "redis://:pw@h/x",
                            "redis://:pw@h?db=1", "redis://:pw@"}) {
        INFO(bad);
        const auto error = load_error(std::string("auth:\n  login_limit:\n    shared: {redis: \"") + bad + "\"}\n");
        CHECK_THAT(error, Catch::Contains("redis must be redis://"));
        CHECK_THAT(error, !Catch::Contains("pw"));
    }
    CHECK_THAT(load_error("auth:\n  login_limit:\n    shared: {redis: \"redis://h\", timeout: 10s}\n"),
               Catch::Contains("timeout must be between 1ms and 5s"));
}
