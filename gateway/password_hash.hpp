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

/// A new hash of `password` with the scheme prefix ("$2b$", "$y$", "$6$") at its default
/// cost; empty on failure. Used to make the dummy hash compared for unknown users.
std::string hash_password(std::string_view password, const char* prefix);

}  // namespace gateway
