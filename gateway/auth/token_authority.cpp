#include "gateway/auth/token_authority.hpp"

#include <jwt.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace gateway {

namespace {

struct jwt_deleter {
    void operator()(jwt_t* jwt) const noexcept { jwt_free(jwt); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

struct malloc_deleter {
    void operator()(char* p) const noexcept { std::free(p); }
};
using c_string = std::unique_ptr<char, malloc_deleter>;

const unsigned char* key_bytes(const std::string& key) {
    return reinterpret_cast<const unsigned char*>(key.data());
}

/// The token's claims as JSON; empty when libjwt cannot give them.
boost::json::object grants_of(jwt_t* jwt) {
    c_string json(jwt_get_grants_json(jwt, nullptr));
    if (!json) return {};
    boost::system::error_code ec;
    auto parsed = boost::json::parse(json.get(), ec);
    if (ec || !parsed.is_object()) return {};
    return std::move(parsed.as_object());
}

/// Every scalar claim of the token as text (objects and arrays are left out).
std::vector<std::pair<std::string, std::string>> scalar_claims(const boost::json::object& grants) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : grants) {
        if (value.is_string()) {
            out.emplace_back(std::string(name), std::string(value.as_string()));
        } else if (value.is_int64() || value.is_uint64() || value.is_bool() || value.is_double()) {
            out.emplace_back(std::string(name), boost::json::serialize(value));
        }
    }
    return out;
}

/// The signing key first, then the previous keys; throws when one is too short.
std::vector<std::string> checked_keys(token_settings& settings) {
    std::vector<std::string> keys;
    keys.reserve(1 + settings.previous_keys.size());
    keys.push_back(std::move(settings.signing_key));
    for (auto& key : settings.previous_keys) keys.push_back(std::move(key));
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].size() >= token_authority::min_key_bytes) continue;
        throw std::invalid_argument(fmt::format("the token {} key must be at least {} bytes long",
                                                i == 0 ? "signing" : "previous", token_authority::min_key_bytes));
    }
    return keys;
}

/// Settings with no previous key and the default clock leeway.
token_settings one_key(std::string key, std::string issuer, std::string tenant_claim, std::chrono::seconds ttl) {
    token_settings out;
    out.signing_key = std::move(key);
    out.issuer = std::move(issuer);
    out.tenant_claim = std::move(tenant_claim);
    out.ttl = ttl;
    return out;
}

/// The token decoded with the first key whose signature matches; null when none does.
jwt_ptr decode_with_any(const std::vector<std::string>& keys, const std::string& text) {
    for (const auto& key : keys) {
        jwt_t* raw = nullptr;
        if (jwt_decode(&raw, text.c_str(), key_bytes(key), static_cast<int>(key.size())) == 0) {
            return jwt_ptr(raw);
        }
    }
    return nullptr;
}

/// An integer (NumericDate) claim: absent, present, or present but not an integer.
struct time_claim {
    bool present = false;
    bool valid = true;
    std::int64_t value = 0;
};

time_claim read_time_claim(const boost::json::object& grants, std::string_view name) {
    const boost::json::value* value = grants.if_contains(name);
    if (value == nullptr) return {};
    // whole seconds only: text, fractions and numbers beyond int64 are refused
    if (!value->is_int64()) return {true, false, 0};
    return {true, true, value->get_int64()};
}

/// exp must be later than now, exactly; nbf and iat, when given, no later than now plus
/// the leeway another issuer's clock skew needs.
std::optional<token_problem> check_times(const boost::json::object& grants, std::int64_t now,
                                         std::int64_t leeway) {
    const time_claim exp = read_time_claim(grants, "exp");
    if (!exp.present || !exp.valid || exp.value <= 0) return token_problem{"no expiry"};
    if (now >= exp.value) return token_problem{"expired"};
    for (const char* name : {"nbf", "iat"}) {
        const time_claim claim = read_time_claim(grants, name);
        if (!claim.valid) return token_problem{fmt::format("{} is not a whole number", name)};
        if (claim.present && claim.value > now + leeway) return token_problem{fmt::format("{} is in the future", name)};
    }
    return std::nullopt;
}

}  // namespace

token_authority::token_authority(token_settings settings)
    : keys_(checked_keys(settings)),
      issuer_(std::move(settings.issuer)),
      tenant_claim_(std::move(settings.tenant_claim)),
      ttl_(settings.ttl),
      clock_leeway_(settings.clock_leeway),
      verified_(cached_tokens) {}

token_authority::token_authority(std::string key, std::string issuer, std::string tenant_claim,
                                 std::chrono::seconds ttl)
    : token_authority(one_key(std::move(key), std::move(issuer), std::move(tenant_claim), ttl)) {}

issued_token token_authority::issue(std::string_view tenant, std::string_view subject,
                                    std::chrono::system_clock::time_point now) const {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("cannot create a token");
    jwt_ptr jwt(raw);
    const std::int64_t iat = epoch_seconds(now);
    const std::int64_t exp = iat + ttl_.count();
    const std::string tenant_text(tenant), subject_text(subject);
    if (jwt_add_grant(jwt.get(), "iss", issuer_.c_str()) != 0 ||
        jwt_add_grant(jwt.get(), "sub", subject_text.c_str()) != 0 ||
        jwt_add_grant(jwt.get(), tenant_claim_.c_str(), tenant_text.c_str()) != 0 ||
        jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(iat)) != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp)) != 0 ||
        jwt_set_alg(jwt.get(), JWT_ALG_HS256, key_bytes(keys_.front()),
                    static_cast<int>(keys_.front().size())) != 0) {
        throw std::runtime_error("cannot build a token");
    }
    c_string encoded(jwt_encode_str(jwt.get()));
    if (!encoded) throw std::runtime_error("cannot sign a token");
    return issued_token{encoded.get(), exp};
}

std::variant<verified_token, token_problem> token_authority::verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
    if (token.empty() || token.size() > 8192) return token_problem{"missing or oversized token"};
    const std::int64_t now_seconds = epoch_seconds(now);
    if (auto known = verified_.find(token, now_seconds)) return std::move(*known);
    auto checked = verify_signed(token, now_seconds);
    if (const auto* claims = std::get_if<verified_token>(&checked)) verified_.remember(token, *claims, now_seconds);
    return checked;
}

std::variant<verified_token, token_problem> token_authority::verify_signed(std::string_view token,
                                                                           std::int64_t now) const {
    const jwt_ptr jwt = decode_with_any(keys_, std::string(token));
    if (!jwt) return token_problem{"malformed token or bad signature"};
    // the key alone does not pin the algorithm: refuse anything but HS256 explicitly
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return token_problem{"algorithm is not HS256"};
    const char* iss = jwt_get_grant(jwt.get(), "iss");
    if (iss == nullptr || issuer_ != iss) return token_problem{"wrong issuer"};
    const boost::json::object grants = grants_of(jwt.get());
    if (auto problem = check_times(grants, now, clock_leeway_.count())) return *problem;
    const char* tenant = jwt_get_grant(jwt.get(), tenant_claim_.c_str());
    const char* sub = jwt_get_grant(jwt.get(), "sub");
    if (tenant == nullptr || *tenant == '\0' || sub == nullptr || *sub == '\0') {
        return token_problem{"tenant or subject claim missing"};
    }
    return verified_token{tenant, sub, read_time_claim(grants, "exp").value, scalar_claims(grants)};
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string iso8601_utc(std::int64_t seconds) {
    return fmt::format("{:%FT%T}Z", fmt::gmtime(static_cast<std::time_t>(seconds)));
}

std::string_view bearer_token(std::string_view authorization) noexcept {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        const char c = authorization[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != scheme[i]) return {};
    }
    std::string_view token = authorization.substr(scheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    return token;
}

}  // namespace gateway
