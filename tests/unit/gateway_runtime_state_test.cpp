// Loading a configuration into a runtime state, and swapping states on reload.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <variant>

#include "conf/loader.hpp"
#include "gateway/app/state_loader.hpp"

using namespace std::chrono_literals;

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

namespace {

const std::string key_a = "key-A-0123456789abcdef0123456789abcdef";
const std::string key_b = "key-B-0123456789abcdef0123456789abcdef";

/// A configuration whose auth section names `signing` and `previous` refs.
std::string auth_config(const std::string& signing, const std::string& previous = "") {
    std::string text = std::string(one_route) + "auth:\n  secret_ref: " + signing + "\n  token_ttl: 10m\n";
    if (!previous.empty()) text += "  previous_secret_refs: [" + previous + "]\n";
    return text;
}

bool verifies(const gateway::runtime_state& state, const std::string& token) {
    return std::holds_alternative<gateway::verified_token>(
        state.tokens()->verify(token, std::chrono::system_clock::now()));
}

}  // namespace

TEST_CASE("a serving state reads its token keys: the signing key and the previous ones",
          "[gateway][state][auth]") {
    temp_file a(key_a + "\n");
    temp_file b(key_b);
    temp_file file(auth_config("file:" + b.path, "file:" + a.path));
    const auto state = gateway::load_serving_state(file.path, gateway::unreadable_keys::refuse);
    REQUIRE(state->tokens() != nullptr);
    const auto now = std::chrono::system_clock::now();
    const auto issued = state->tokens()->issue("ACME", "7", now);
    CHECK(issued.expires_at == gateway::epoch_seconds(now) + 600);
    CHECK(verifies(*state, gateway::token_authority(key_b, "tenant-gateway", "tenant", 60s)
                               .issue("ACME", "7", now).token));
    CHECK(verifies(*state, gateway::token_authority(key_a, "tenant-gateway", "tenant", 60s)
                               .issue("ACME", "7", now).token));
    // --check-config reads no keys
    CHECK(gateway::load_runtime_state(file.path)->tokens() == nullptr);
}

TEST_CASE("a token key too short refuses a reload and leaves start-up without tokens",
          "[gateway][state][auth]") {
    temp_file a(key_a);
    temp_file short_key("tiny-secret-text");
    for (const auto& text :
         {auth_config("file:" + short_key.path), auth_config("file:" + a.path, "file:" + short_key.path)}) {
        temp_file file(text);
        INFO(text);
        try {
            (void)gateway::load_serving_state(file.path, gateway::unreadable_keys::refuse);
            FAIL("no exception");
        } catch (const std::runtime_error& e) {
            CHECK_THAT(e.what(), Catch::StartsWith("auth."));
            CHECK_THAT(e.what(), !Catch::Contains("tiny-secret-text") && !Catch::Contains(key_a));
        }
        const auto state = gateway::load_serving_state(file.path, gateway::unreadable_keys::serve_without_tokens);
        CHECK(state->tokens() == nullptr);
    }
}

TEST_CASE("a token key file that does not exist is a configuration error at its place",
          "[gateway][state][auth]") {
    temp_file a(key_a);
    const std::string missing = "file:" + a.path + ".gone";
    for (const auto& text : {auth_config(missing), auth_config("file:" + a.path, missing)}) {
        temp_file file(text);
        INFO(text);
        for (auto mode : {gateway::unreadable_keys::refuse, gateway::unreadable_keys::serve_without_tokens}) {
            try {
                (void)gateway::load_serving_state(file.path, mode);
                FAIL("no exception");
            } catch (const conf::config_error& e) {
                CHECK_THAT(e.what(), Catch::StartsWith(file.path + ":") && Catch::Contains("cannot be read"));
            }
        }
    }
}

TEST_CASE("without auth.secret_ref a serving state has no tokens", "[gateway][state][auth]") {
    temp_file file(one_route);
    CHECK(gateway::load_serving_state(file.path, gateway::unreadable_keys::refuse)->tokens() == nullptr);
}
