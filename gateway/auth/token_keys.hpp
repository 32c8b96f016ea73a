#pragma once
// The token keys a configuration names, read into a token_authority: auth.secret_ref
// signs new tokens, auth.previous_secret_refs only verify. Read once per loaded
// configuration, so keys change with a reload and only then: a key the reloaded file no
// longer names verifies nothing from that reload on. Problems name the reference, never
// the secret.

#include <memory>
#include <string>
#include <variant>

#include "conf/config.hpp"
#include "gateway/auth/token_authority.hpp"
#include "tds_pool/credentials.hpp"

namespace gateway {

/// Why the token keys of a configuration cannot be used; safe to log.
struct auth_keys_problem {
    std::string message;
};

/// The authority, or null when auth.secret_ref is empty (login and auth routes off).
using auth_keys_result = std::variant<std::shared_ptr<const token_authority>, auth_keys_problem>;

/// Reads every key `config.auth` names through `secrets` and builds the authority with
/// the configuration's issuer, ttl, clock leeway and tenant claim.
auth_keys_result read_auth_keys(const conf::config& config, tds_pool::credential_store& secrets);

}  // namespace gateway
