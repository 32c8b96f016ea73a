// Loading a configuration into a runtime state, and swapping states on reload.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "conf/loader.hpp"
#include "gateway/runtime_state.hpp"

namespace {

/// A configuration file in the temporary directory, removed at the end of the test.
struct temp_file {
    std::string path;
    explicit temp_file(const std::string& text)
        : path(std::string(P_tmpdir) + "/gateway_state_test_" +
               std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".yaml") {
        std::ofstream(path) << text;
    }
    ~temp_file() { std::remove(path.c_str()); }
};

constexpr const char* one_route = "routes:\n  - path: /one\n    kind: echo\n";

}  // namespace

TEST_CASE("a good file becomes a state with its routes", "[gateway][state]") {
    temp_file file(one_route);
    const auto state = gateway::load_runtime_state(file.path);
    REQUIRE(state);
    CHECK(state->config().source_path == file.path);
    CHECK(state->routes().match("GET", "/one").route != nullptr);
    CHECK(state->routes().match("GET", "/two").error->status == 404);
}

TEST_CASE("a bad file throws config_error naming file, line and column", "[gateway][state]") {
    temp_file file("routes:\n  - path: /one\n    kind: nonsense\n");
    try {
        (void)gateway::load_runtime_state(file.path);
        FAIL("no exception");
    } catch (const conf::config_error& e) {
        CHECK_THAT(e.what(), Catch::StartsWith(file.path + ":3:"));
    }
}

TEST_CASE("state_holder hands out snapshots that survive a swap", "[gateway][state]") {
    temp_file first(one_route);
    temp_file second("routes:\n  - path: /two\n    kind: echo\n");
    gateway::state_holder holder(gateway::load_runtime_state(first.path));
    const auto before = holder.get();
    holder.set(gateway::load_runtime_state(second.path));
    const auto after = holder.get();
    CHECK(before != after);
    CHECK(before->routes().match("GET", "/one").route != nullptr);
    CHECK(after->routes().match("GET", "/two").route != nullptr);
    CHECK(after->routes().match("GET", "/one").route == nullptr);
}
