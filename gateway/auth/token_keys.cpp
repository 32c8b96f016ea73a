#include "gateway/auth/token_keys.hpp"

#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace gateway {

namespace {

/// The key behind `ref`, or why not; `role` says which setting named it.
std::variant<std::string, auth_keys_problem> read_key(tds_pool::credential_store& secrets,
                                                      const std::string& ref, std::string_view role) {
    auto key = secrets.resolve(ref);
    if (auto* problem = std::get_if<tds_pool::credential_problem>(&key)) {
        return auth_keys_problem{fmt::format("{} {}: {}", role, ref, problem->message)};
    }
    auto& text = std::get<std::string>(key);
    if (text.size() < token_authority::min_key_bytes) {
        return auth_keys_problem{fmt::format("{} {}: the key must be at least {} bytes long", role, ref,
                                             token_authority::min_key_bytes)};
    }
    return std::move(text);
}

token_settings rules_of(const conf::config& config) {
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    token_settings out;
    out.issuer = config.auth.issuer;
    out.tenant_claim = config.tenant_resolution.token_claim;
    out.ttl = duration_cast<seconds>(config.auth.token_ttl);
    out.clock_leeway = duration_cast<seconds>(config.auth.clock_leeway);
    return out;
}

}  // namespace

auth_keys_result read_auth_keys(const conf::config& config, tds_pool::credential_store& secrets) {
    const conf::auth_config& auth = config.auth;
    if (auth.secret_ref.empty()) return std::shared_ptr<const token_authority>();
    token_settings settings = rules_of(config);
    auto signing = read_key(secrets, auth.secret_ref, "auth.secret_ref");
    if (auto* problem = std::get_if<auth_keys_problem>(&signing)) return std::move(*problem);
    settings.signing_key = std::get<std::string>(std::move(signing));
    for (const std::string& ref : auth.previous_secret_refs) {
        auto previous = read_key(secrets, ref, "auth.previous_secret_refs");
        if (auto* problem = std::get_if<auth_keys_problem>(&previous)) return std::move(*problem);
        settings.previous_keys.push_back(std::get<std::string>(std::move(previous)));
    }
    return std::make_shared<const token_authority>(std::move(settings));
}

}  // namespace gateway
