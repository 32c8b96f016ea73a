#include "gateway/auth/password_hash.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <memory>

namespace gateway {

namespace {

/// crypt_data is about 32 KiB: too big for a coroutine frame or a small stack, and
/// crypt_rn needs it zeroed.
std::unique_ptr<crypt_data> fresh_crypt_data() {
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    return data;
}

}  // namespace

bool is_supported_hash(std::string_view stored_hash) noexcept {
    return stored_hash.starts_with("$2b$") || stored_hash.starts_with("$2y$") ||
           stored_hash.starts_with("$y$") || stored_hash.starts_with("$6$");
}

bool verify_password(std::string_view password, std::string_view stored_hash) {
    if (!is_supported_hash(stored_hash) || password.find('\0') != std::string_view::npos) {
        return false;
    }
    const std::string phrase(password);
    const std::string setting(stored_hash);
    auto data = fresh_crypt_data();
    const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
    // crypt_rn returns NULL or a string starting with '*' when the setting is invalid
    if (out == nullptr || out[0] == '*') return false;
    const std::size_t length = std::strlen(out);
    if (length != stored_hash.size()) return false;
    return CRYPTO_memcmp(out, stored_hash.data(), length) == 0;
}

std::string hash_password(std::string_view password, const char* prefix, unsigned long cost) {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
    if (crypt_gensalt_rn(prefix, cost, nullptr, 0, salt.data(), static_cast<int>(salt.size())) == nullptr) {
        return {};
    }
    return hash_with_setting_of(password, salt.data());
}

std::string hash_with_setting_of(std::string_view password, std::string_view stored_hash) {
    if (password.find('\0') != std::string_view::npos) return {};
    const std::string phrase(password);
    const std::string setting(stored_hash);
    auto data = fresh_crypt_data();
    const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
    if (out == nullptr || out[0] == '*') return {};
    return out;
}

std::string hash_scheme_and_cost(std::string_view stored_hash) {
    if (!is_supported_hash(stored_hash)) return {};
    if (stored_hash.starts_with("$2")) return std::string(stored_hash.substr(0, 7));  // $2b$NN$
    // "$y$PARAMS$salt$hash", "$6$rounds=N$salt$hash": up to the third '$'
    const bool has_params = stored_hash.starts_with("$y$") || stored_hash.starts_with("$6$rounds=");
    if (!has_params) return "$6$";
    const auto third = stored_hash.find('$', stored_hash.find('$', 1) + 1);
    if (third == std::string_view::npos) return {};
    return std::string(stored_hash.substr(0, third + 1));
}

}  // namespace gateway
