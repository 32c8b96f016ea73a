// Command-line parsing of tenant-gateway.
#include <catch2/catch.hpp>

#include <string_view>
#include <variant>
#include <vector>

#include "gateway/app/cli.hpp"

namespace {

std::variant<gateway::cli_options, gateway::cli_error> parse(std::vector<std::string_view> args) {
    return gateway::parse_cli(args);
}

gateway::cli_options ok(std::vector<std::string_view> args) {
    auto parsed = parse(std::move(args));
    REQUIRE(std::holds_alternative<gateway::cli_options>(parsed));
    return std::get<gateway::cli_options>(parsed);
}

std::string failure(std::vector<std::string_view> args) {
    auto parsed = parse(std::move(args));
    REQUIRE(std::holds_alternative<gateway::cli_error>(parsed));
    return std::get<gateway::cli_error>(parsed).message;
}

}  // namespace

TEST_CASE("serve needs --config FILE", "[gateway][cli]") {
    auto options = ok({"--config", "gw.yaml"});
    CHECK(options.action == gateway::cli_action::serve);
    CHECK(options.config_path == "gw.yaml");
    CHECK(ok({"--config=other.yaml"}).config_path == "other.yaml");
    CHECK_THAT(failure({}), Catch::Contains("--config"));
    CHECK_THAT(failure({"--config"}), Catch::Contains("file name"));
}

TEST_CASE("--check-config takes the file either way", "[gateway][cli]") {
    for (auto args : {std::vector<std::string_view>{"--check-config", "a.yaml"},
                      std::vector<std::string_view>{"--check-config", "--config", "a.yaml"},
                      std::vector<std::string_view>{"--config", "a.yaml", "--check-config"}}) {
        auto options = ok(args);
        CHECK(options.action == gateway::cli_action::check_config);
        CHECK(options.config_path == "a.yaml");
    }
    CHECK_THAT(failure({"--check-config"}), Catch::Contains("--config"));
    CHECK_THAT(failure({"--check-config", "a.yaml", "--config", "b.yaml"}),
               Catch::Contains("more than one"));
}

TEST_CASE("--version and --help need no config", "[gateway][cli]") {
    CHECK(ok({"--version"}).action == gateway::cli_action::version);
    CHECK(ok({"--help"}).action == gateway::cli_action::help);
    CHECK(ok({"-h"}).action == gateway::cli_action::help);
    CHECK_THAT(std::string(gateway::usage_text()), Catch::Contains("--check-config"));
}

TEST_CASE("unknown arguments are refused", "[gateway][cli]") {
    CHECK_THAT(failure({"--config", "a.yaml", "--verbose"}), Catch::Contains("--verbose"));
    CHECK_THAT(failure({"a.yaml"}), Catch::Contains("a.yaml"));
}

TEST_CASE("--openapi takes the file either way and excludes --check-config", "[gateway][cli]") {
    for (auto args : {std::vector<std::string_view>{"--openapi", "a.yaml"},
                      std::vector<std::string_view>{"--openapi", "--config", "a.yaml"},
                      std::vector<std::string_view>{"--config=a.yaml", "--openapi"}}) {
        auto options = ok(args);
        CHECK(options.action == gateway::cli_action::openapi);
        CHECK(options.config_path == "a.yaml");
    }
    CHECK_THAT(failure({"--openapi"}), Catch::Contains("--config"));
    CHECK_THAT(failure({"--openapi", "--check-config", "a.yaml"}), Catch::Contains("either"));
    CHECK_THAT(std::string(gateway::usage_text()), Catch::Contains("--openapi"));
}
