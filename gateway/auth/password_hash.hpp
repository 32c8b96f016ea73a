#pragma once
// Verifying stored password hashes with libxcrypt: bcrypt ($2b$), yescrypt ($y$) and
// SHA-512 crypt ($6$). The password is hashed with the stored hash as its setting and
// the outputs are compared in constant time.

#include <string>
#include <string_view>

namespace gateway {

/// True when `password` hashes to `stored_hash`. False for a wrong password, an
/// unsupported or malformed hash, or a password containing a NUL byte.
bool verify_password(std::string_view password, std::string_view stored_hash);

/// True when the hash uses one of the accepted schemes ($2b$, $2y$, $y$, $6$).
bool is_supported_hash(std::string_view stored_hash) noexcept;

/// A new hash of `password` with the scheme prefix ("$2b$", "$y$", "$6$") at `cost` as
/// crypt_gensalt(3) counts it (0: the library's default); empty on failure.
std::string hash_password(std::string_view password, const char* prefix, unsigned long cost = 0);

/// A hash of `password` with the whole setting (scheme, cost and salt) of `stored_hash`:
/// verifying against it costs what verifying against `stored_hash` costs. Empty on failure.
std::string hash_with_setting_of(std::string_view password, std::string_view stored_hash);

/// The scheme and cost part of a supported hash, salt excluded ("$2b$12$", "$y$j9T$",
/// "$6$rounds=9000$", "$6$"); empty for an unsupported one.
std::string hash_scheme_and_cost(std::string_view stored_hash);

}  // namespace gateway
