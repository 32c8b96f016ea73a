// Token keys (a signing key and verify-only previous keys, for rotation) and the time
// claims: exp exact, nbf and iat no later than now plus the clock leeway.
#include <catch2/catch.hpp>

#include <jwt.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/auth/token_authority.hpp"

using namespace std::chrono_literals;

namespace {

const std::string key_a = "key-A-0123456789abcdef0123456789abcdef";
const std::string key_b = "key-B-0123456789abcdef0123456789abcdef";
const std::string key_c = "key-C-0123456789abcdef0123456789abcdef";

gateway::token_authority authority(std::string signing, std::vector<std::string> previous = {},
                                   std::chrono::seconds leeway = 30s) {
    gateway::token_settings settings;
    settings.signing_key = std::move(signing);
    settings.previous_keys = std::move(previous);
    settings.clock_leeway = leeway;
    return gateway::token_authority(std::move(settings));
}

std::string problem(const std::variant<gateway::verified_token, gateway::token_problem>& v) {
    return std::holds_alternative<gateway::token_problem>(v) ? std::get<gateway::token_problem>(v).reason
                                                             : std::string();
}

/// An HS256 token under `key` with iss, sub and tenant set and the given extra claims.
std::string signed_token(const std::string& key, const std::vector<std::pair<const char*, std::int64_t>>& numbers,
                         const std::vector<std::pair<const char*, const char*>>& texts = {}) {
    jwt_t* raw = nullptr;
    REQUIRE(jwt_new(&raw) == 0);
    std::unique_ptr<jwt_t, void (*)(jwt_t*)> jwt(raw, jwt_free);
    REQUIRE(jwt_add_grant(raw, "iss", "tenant-gateway") == 0);
    REQUIRE(jwt_add_grant(raw, "sub", "17") == 0);
    REQUIRE(jwt_add_grant(raw, "tenant", "ACME") == 0);
    for (const auto& [name, value] : numbers) REQUIRE(jwt_add_grant_int(raw, name, static_cast<long>(value)) == 0);
    for (const auto& [name, value] : texts) REQUIRE(jwt_add_grant(raw, name, value) == 0);
    REQUIRE(jwt_set_alg(raw, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())) == 0);
    std::unique_ptr<char, void (*)(void*)> text(jwt_encode_str(raw), std::free);
    REQUIRE(text);
    return text.get();
}

}  // namespace

TEST_CASE("the signing key signs; previous keys only verify", "[token][rotation]") {
    const auto now = std::chrono::system_clock::now();
    const auto old_token = authority(key_a).issue("ACME", "17", now).token;

    // routine rotation: B signs, A's tokens still pass until they expire
    const auto rotated = authority(key_b, {key_a});
    CHECK(problem(rotated.verify(old_token, now)).empty());
    const auto new_token = rotated.issue("ACME", "17", now).token;
    CHECK(problem(authority(key_b).verify(new_token, now)).empty());
    CHECK_FALSE(problem(authority(key_a).verify(new_token, now)).empty());

    // several previous keys: each verifies, a key in neither list does not
    const auto two_back = authority(key_c, {key_b, key_a});
    CHECK(problem(two_back.verify(old_token, now)).empty());
    CHECK(problem(two_back.verify(new_token, now)).empty());
    CHECK(problem(authority(key_c, {key_b}).verify(old_token, now)) == "malformed token or bad signature");

    // emergency rotation: A listed nowhere, its tokens refused at once
    CHECK(problem(authority(key_b).verify(old_token, now)) == "malformed token or bad signature");
}

TEST_CASE("a previous key must be as long as a signing key", "[token][rotation]") {
    CHECK_THROWS_WITH(authority(key_b, {"short"}), Catch::Contains("previous key must be at least 32 bytes"));
    CHECK_THROWS_WITH(authority("short", {key_a}), Catch::Contains("signing key must be at least 32 bytes"));
}

TEST_CASE("the expiry of a previous key's token is still exact", "[token][rotation]") {
    const auto now = std::chrono::system_clock::now();
    const auto old_token = gateway::token_authority(key_a, "tenant-gateway", "tenant", 60s).issue("ACME", "1", now);
    const auto rotated = authority(key_b, {key_a});
    CHECK(problem(rotated.verify(old_token.token, now + 59s)).empty());
    CHECK(problem(rotated.verify(old_token.token, now + 60s)) == "expired");
}

TEST_CASE("nbf and iat may lie in the future by the leeway, no more", "[token][time]") {
    const auto now = std::chrono::system_clock::now();
    const std::int64_t t = gateway::epoch_seconds(now);
    const auto tokens = authority(key_a, {}, 30s);
    for (const char* claim : {"nbf", "iat"}) {
        INFO(claim);
        CHECK(problem(tokens.verify(signed_token(key_a, {{"exp", t + 600}, {claim, t + 30}}), now)).empty());
        CHECK(problem(tokens.verify(signed_token(key_a, {{"exp", t + 600}, {claim, t + 31}}), now)) ==
              std::string(claim) + " is in the future");
        CHECK(problem(tokens.verify(signed_token(key_a, {{"exp", t + 600}, {claim, t + 3600}}), now)) ==
              std::string(claim) + " is in the future");
        CHECK(problem(tokens.verify(signed_token(key_a, {{"exp", t + 600}, {claim, t - 3600}}), now)).empty());
        CHECK(problem(tokens.verify(signed_token(key_a, {{"exp", t + 600}}, {{claim, "soon"}}), now)) ==
              std::string(claim) + " is not a whole number");
    }
    // neither claim is required
    CHECK(problem(tokens.verify(signed_token(key_a, {{"exp", t + 600}}), now)).empty());
}

TEST_CASE("the leeway is configurable and never extends exp", "[token][time]") {
    const auto now = std::chrono::system_clock::now();
    const std::int64_t t = gateway::epoch_seconds(now);
    const auto strict = authority(key_a, {}, 0s);
    CHECK(problem(strict.verify(signed_token(key_a, {{"exp", t + 600}, {"iat", t}}), now)).empty());
    CHECK(problem(strict.verify(signed_token(key_a, {{"exp", t + 600}, {"iat", t + 1}}), now)) ==
          "iat is in the future");
    const auto lenient = authority(key_a, {}, 120s);
    CHECK(problem(lenient.verify(signed_token(key_a, {{"exp", t + 600}, {"nbf", t + 90}}), now)).empty());
    // exp is exact whatever the leeway
    CHECK(problem(lenient.verify(signed_token(key_a, {{"exp", t}}), now)) == "expired");
    CHECK(problem(lenient.verify(signed_token(key_a, {{"exp", t - 1}}), now)) == "expired");
    CHECK(problem(lenient.verify(signed_token(key_a, {{"exp", t + 1}}), now)).empty());
    CHECK(problem(lenient.verify(signed_token(key_a, {{"iat", t}}), now)) == "no expiry");
    CHECK(problem(lenient.verify(signed_token(key_a, {}, {{"exp", "4102444800"}}), now)) == "no expiry");
}
