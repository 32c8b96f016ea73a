// ${ENV_VAR} substitution, alone and through the loader.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <variant>

#include "conf/env_substitute.hpp"
#include "tests/unit/conf_test_util.hpp"

namespace {

std::string substituted(std::string_view text) {
    auto result = conf::substitute_env(text);
    REQUIRE(std::holds_alternative<std::string>(result));
    return std::get<std::string>(result);
}

std::string substitution_failure(std::string_view text) {
    auto result = conf::substitute_env(text);
    REQUIRE(std::holds_alternative<conf::substitution_error>(result));
    return std::get<conf::substitution_error>(result).message;
}

}  // namespace

TEST_CASE("substitute_env expands variables and $$", "[conf][env]") {
    ::setenv("TG_CONF_TEST_HOST", "db.example.com", 1);
    ::setenv("TG_CONF_TEST_EMPTY", "", 1);
    CHECK(substituted("${TG_CONF_TEST_HOST}") == "db.example.com");
    CHECK(substituted("tcp://${TG_CONF_TEST_HOST}:1433/x") == "tcp://db.example.com:1433/x");
    CHECK(substituted("${TG_CONF_TEST_HOST}${TG_CONF_TEST_HOST}") ==
          "db.example.comdb.example.com");
    CHECK(substituted("a${TG_CONF_TEST_EMPTY}b") == "ab");
    CHECK(substituted("price $$5") == "price $5");
    CHECK(substituted("$${TG_CONF_TEST_HOST}") == "${TG_CONF_TEST_HOST}");
    CHECK(substituted("$5 and $") == "$5 and $");
    CHECK(substituted("no variables") == "no variables");
}

TEST_CASE("substitute_env refuses unset and malformed references", "[conf][env]") {
    ::unsetenv("TG_CONF_TEST_UNSET");
    CHECK(substitution_failure("x${TG_CONF_TEST_UNSET}") ==
          "environment variable TG_CONF_TEST_UNSET is not set");
    CHECK_THAT(substitution_failure("${TG_CONF_TEST_HOST"), Catch::Contains("unterminated"));
    CHECK_THAT(substitution_failure("${}"), Catch::Contains("invalid environment variable name"));
    CHECK_THAT(substitution_failure("${1ABC}"),
               Catch::Contains("invalid environment variable name"));
    CHECK_THAT(substitution_failure("${A-B}"),
               Catch::Contains("invalid environment variable name"));
}

TEST_CASE("the loader substitutes scalar values before converting them", "[conf][env]") {
    ::setenv("TG_CONF_TEST_PORT", "9091", 1);
    ::setenv("TG_CONF_TEST_SERVER", "acme-sql.database.windows.net", 1);
    ::setenv("TG_CONF_TEST_TIMEOUT", "250ms", 1);
    const conf::config c = conf_test::load(R"(
listen:
  port: ${TG_CONF_TEST_PORT}
pools:
  acquire_timeout: ${TG_CONF_TEST_TIMEOUT}
admin:
  enabled: true
  access: token
  token: "$${literal}"
tenants:
  - code: acme
    server: ${TG_CONF_TEST_SERVER}
    database: db_${TG_CONF_TEST_PORT}
)");
    CHECK(c.listen.port == 9091);
    CHECK(c.pools.acquire_timeout == std::chrono::milliseconds(250));
    CHECK(c.admin.token == "${literal}");
    REQUIRE(c.tenants.size() == 1);
    CHECK(c.tenants[0].server == "acme-sql.database.windows.net");
    CHECK(c.tenants[0].database == "db_9091");
}

TEST_CASE("an unset variable is an error at its value, naming the variable", "[conf][env]") {
    ::unsetenv("TG_CONF_TEST_UNSET");
    CHECK(conf_test::load_error(R"(
tenants:
  - code: ACME
    server: ${TG_CONF_TEST_UNSET}
    database: x
)") == "t.yaml:3:13: environment variable TG_CONF_TEST_UNSET is not set");
}

TEST_CASE("a substituted value never appears in an error message", "[conf][env]") {
    ::setenv("TG_CONF_TEST_SECRET", "hunter2-s3cret", 1);
    const std::string duration_error = conf_test::load_error(R"(
pools:
  acquire_timeout: ${TG_CONF_TEST_SECRET}
)");
    CHECK_THAT(duration_error, Catch::StartsWith("t.yaml:2:20: "));
    CHECK_THAT(duration_error, !Catch::Contains("hunter2"));

    const std::string ref_error = conf_test::load_error(R"(
tenants:
  - code: ACME
    server: s
    database: d
    credential_ref: ${TG_CONF_TEST_SECRET}
)");
    CHECK_THAT(ref_error, Catch::StartsWith("t.yaml:5:21: "));
    CHECK_THAT(ref_error, !Catch::Contains("hunter2"));

    const std::string enum_error = conf_test::load_error(R"(
admin:
  access: ${TG_CONF_TEST_SECRET}
)");
    CHECK_THAT(enum_error, Catch::StartsWith("t.yaml:2:11: "));
    CHECK_THAT(enum_error, !Catch::Contains("hunter2"));
}

TEST_CASE("keys are not substituted", "[conf][env]") {
    ::setenv("TG_CONF_TEST_KEY", "port", 1);
    CHECK(conf_test::load_error(R"(
listen:
  ${TG_CONF_TEST_KEY}: 1
)") == "t.yaml:2:3: unknown key '${TG_CONF_TEST_KEY}' in listen");
}
