// Password hashes (bcrypt, yescrypt, SHA-512 crypt) and tokens.
#include <catch2/catch.hpp>

#include <variant>

#include "gateway/auth/token_authority.hpp"
#include "gateway/auth/password_hash.hpp"
#include "gateway/auth/verified_token_cache.hpp"
#include "gateway/sql/result_json.hpp"  // encode_base64 for hand-built tokens

using namespace std::chrono_literals;

TEST_CASE("stored hashes of every accepted scheme verify", "[password]") {
    for (const char* prefix : {"$2b$", "$y$", "$6$"}) {
        const std::string hash = gateway::hash_password("correct horse", prefix);
        INFO(prefix);
        REQUIRE(hash.starts_with(prefix));
        CHECK(gateway::verify_password("correct horse", hash));
        CHECK_FALSE(gateway::verify_password("correct horsE", hash));
        CHECK_FALSE(gateway::verify_password("", hash));
    }
}

TEST_CASE("unsupported or malformed hashes never verify", "[password]") {
    CHECK_FALSE(gateway::verify_password("x", ""));
    CHECK_FALSE(gateway::verify_password("x", "plaintext"));
    CHECK_FALSE(gateway::verify_password("x", "$1$abc$def"));  // MD5 crypt is refused
    CHECK_FALSE(gateway::verify_password("x", "$2b$10$tooshort"));
    const std::string hash = gateway::hash_password("a", "$6$");
    CHECK_FALSE(gateway::verify_password(std::string("a\0b", 3), hash));
}

namespace {

const std::string key = "0123456789abcdef0123456789abcdef";

std::string problem(const std::variant<gateway::verified_token, gateway::token_problem>& v) {
    return std::holds_alternative<gateway::token_problem>(v) ? std::get<gateway::token_problem>(v).reason
                                                             : std::string();
}

/// base64url without padding, for hand-built tokens.
std::string b64url(const std::string& text) {
    std::string s = gateway::encode_base64(std::vector<std::uint8_t>(text.begin(), text.end()));
    for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

}  // namespace

TEST_CASE("issued tokens verify with their claims", "[token]") {
    gateway::token_authority authority(key, "tenant-gateway", "tenant", 3600s);
    const auto now = std::chrono::system_clock::now();
    const auto issued = authority.issue("ACME", "17", now);
    CHECK(issued.expires_at == gateway::epoch_seconds(now) + 3600);
    const auto verified = authority.verify(issued.token, now + 10s);
    REQUIRE(std::holds_alternative<gateway::verified_token>(verified));
    const auto& token = std::get<gateway::verified_token>(verified);
    CHECK(token.tenant == "ACME");
    CHECK(token.subject == "17");
    bool has_sub = false;
    for (const auto& [name, value] : token.claims) has_sub |= name == "sub" && value == "17";
    CHECK(has_sub);
}

TEST_CASE("expired, tampered, foreign and unsigned tokens are refused", "[token]") {
    gateway::token_authority authority(key, "tenant-gateway", "tenant", 60s);
    const auto now = std::chrono::system_clock::now();
    const auto issued = authority.issue("ACME", "17", now);

    CHECK(problem(authority.verify(issued.token, now + 61s)) == "expired");

    std::string tampered = issued.token;
    const auto dot = tampered.find('.');
    tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
    CHECK_FALSE(problem(authority.verify(tampered, now)).empty());

    gateway::token_authority other("another key that is long enough to use!", "tenant-gateway",
                                   "tenant", 60s);
    CHECK_FALSE(problem(authority.verify(other.issue("ACME", "17", now).token, now)).empty());

    gateway::token_authority wrong_issuer(key, "someone-else", "tenant", 60s);
    CHECK(problem(authority.verify(wrong_issuer.issue("ACME", "17", now).token, now)) == "wrong issuer");

    const std::string payload = R"({"iss":"tenant-gateway","sub":"1","tenant":"ACME","exp":)" +
                                std::to_string(gateway::epoch_seconds(now) + 60) + "}";
    const std::string none = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(payload) + ".";
    CHECK_FALSE(problem(authority.verify(none, now)).empty());

    CHECK_FALSE(problem(authority.verify("not.a.token", now)).empty());
    CHECK_FALSE(problem(authority.verify("", now)).empty());
    CHECK_THROWS(gateway::token_authority("short", "i", "tenant", 60s));
}

TEST_CASE("a verified token is remembered until it expires and never past it", "[token]") {
    gateway::token_authority authority(key, "tenant-gateway", "tenant", 60s);
    const auto now = std::chrono::system_clock::now();
    const auto issued = authority.issue("ACME", "17", now);
    REQUIRE(problem(authority.verify(issued.token, now)).empty());
    const auto again = authority.verify(issued.token, now + 30s);
    REQUIRE(std::holds_alternative<gateway::verified_token>(again));
    CHECK(std::get<gateway::verified_token>(again).tenant == "ACME");
    CHECK(std::get<gateway::verified_token>(again).subject == "17");

    // a remembered token still expires on the second, and a near copy is not it
    CHECK(problem(authority.verify(issued.token, now + 60s)) == "expired");
    std::string tampered = issued.token;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    CHECK_FALSE(problem(authority.verify(tampered, now)).empty());
    CHECK_FALSE(problem(authority.verify(issued.token + " ", now)).empty());

    // another authority (a rotated key) remembers nothing of this one's tokens
    gateway::token_authority rotated("another key that is long enough to use!", "tenant-gateway", "tenant", 60s);
    CHECK_FALSE(problem(rotated.verify(issued.token, now)).empty());
}

TEST_CASE("the verified-token cache stays within its capacity", "[token]") {
    gateway::verified_token_cache cache(64);
    gateway::verified_token claims{"ACME", "1", 1000, {}};
    for (int i = 0; i < 5000; ++i) cache.remember("token-" + std::to_string(i), claims, 10);
    CHECK(cache.size() <= 64);
    CHECK(cache.size() >= 32);
    cache.remember(std::string(gateway::verified_token_cache::max_token_bytes + 1, 'x'), claims, 10);
    CHECK_FALSE(cache.find(std::string(gateway::verified_token_cache::max_token_bytes + 1, 'x'), 10));
    cache.remember("late", claims, 999);
    CHECK(cache.find("late", 999));
    CHECK_FALSE(cache.find("late", 1000));  // expired entries are dropped on sight
    CHECK_FALSE(cache.find("late", 999));
    gateway::verified_token_cache off(0);
    off.remember("t", claims, 10);
    CHECK_FALSE(off.find("t", 10));
}

TEST_CASE("bearer tokens are taken from the Authorization header", "[token]") {
    CHECK(gateway::bearer_token("Bearer abc.def") == "abc.def");
    CHECK(gateway::bearer_token("bearer  abc ") == "abc");
    CHECK(gateway::bearer_token("Basic abc").empty());
    CHECK(gateway::bearer_token("Bearer ").empty());
    CHECK(gateway::iso8601_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(gateway::iso8601_utc(1700000000) == "2023-11-14T22:13:20Z");
    CHECK(gateway::iso8601_utc(951782400) == "2000-02-29T00:00:00Z");
}

