#include "gateway/auth_token.hpp"

#include <jwt.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
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

/// Every scalar claim of the token as text (objects and arrays are left out).
std::vector<std::pair<std::string, std::string>> scalar_claims(jwt_t* jwt) {
    std::vector<std::pair<std::string, std::string>> out;
    c_string json(jwt_get_grants_json(jwt, nullptr));
    if (!json) return out;
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(json.get(), ec);
    if (ec || !parsed.is_object()) return out;
    for (const auto& [name, value] : parsed.as_object()) {
        if (value.is_string()) {
            out.emplace_back(std::string(name), std::string(value.as_string()));
        } else if (value.is_int64() || value.is_uint64() || value.is_bool() || value.is_double()) {
            out.emplace_back(std::string(name), boost::json::serialize(value));
        }
    }
    return out;
}

}  // namespace

token_authority::token_authority(std::string key, std::string issuer, std::string tenant_claim,
                                 std::chrono::seconds ttl)
    : key_(std::move(key)), issuer_(std::move(issuer)), tenant_claim_(std::move(tenant_claim)), ttl_(ttl) {
    if (key_.size() < min_key_bytes) {
        throw std::invalid_argument(
            fmt::format("the token signing key must be at least {} bytes long", min_key_bytes));
    }
}

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
        jwt_set_alg(jwt.get(), JWT_ALG_HS256, key_bytes(key_), static_cast<int>(key_.size())) != 0) {
        throw std::runtime_error("cannot build a token");
    }
    c_string encoded(jwt_encode_str(jwt.get()));
    if (!encoded) throw std::runtime_error("cannot sign a token");
    return issued_token{encoded.get(), exp};
}

std::variant<verified_token, token_problem> token_authority::verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
    if (token.empty() || token.size() > 8192) return token_problem{"missing or oversized token"};
    const std::string text(token);
    jwt_t* raw = nullptr;
    if (jwt_decode(&raw, text.c_str(), key_bytes(key_), static_cast<int>(key_.size())) != 0) {
        return token_problem{"malformed token or bad signature"};
    }
    jwt_ptr jwt(raw);
    // the key alone does not pin the algorithm: refuse anything but HS256 explicitly
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return token_problem{"algorithm is not HS256"};
    const char* iss = jwt_get_grant(jwt.get(), "iss");
    if (iss == nullptr || issuer_ != iss) return token_problem{"wrong issuer"};
    errno = 0;
    const long exp = jwt_get_grant_int(jwt.get(), "exp");
    if (errno != 0 || exp <= 0) return token_problem{"no expiry"};
    if (epoch_seconds(now) >= exp) return token_problem{"expired"};
    const char* tenant = jwt_get_grant(jwt.get(), tenant_claim_.c_str());
    const char* sub = jwt_get_grant(jwt.get(), "sub");
    if (tenant == nullptr || *tenant == '\0' || sub == nullptr || *sub == '\0') {
        return token_problem{"tenant or subject claim missing"};
    }
    return verified_token{tenant, sub, exp, scalar_claims(jwt.get())};
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string iso8601_utc(std::int64_t seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&t, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", parts.tm_year + 1900, parts.tm_mon + 1,
                       parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
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
