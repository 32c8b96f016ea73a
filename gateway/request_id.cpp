#include "gateway/request_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <random>

namespace gateway {

bool is_acceptable_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 128) return false;
    for (const char c : id) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

std::string generate_request_id() {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        // The id needs to be unique, not secret: a per-thread PRNG is an acceptable fallback.
        thread_local std::mt19937_64 fallback{std::random_device{}()};
        for (auto& b : bytes) b = static_cast<unsigned char>(fallback());
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(bytes.size() * 2);
    for (const unsigned char b : bytes) {
        id.push_back(hex[b >> 4]);
        id.push_back(hex[b & 0x0f]);
    }
    return id;
}

std::string choose_request_id(std::string_view from_client) {
    if (is_acceptable_request_id(from_client)) return std::string(from_client);
    return generate_request_id();
}

}  // namespace gateway
