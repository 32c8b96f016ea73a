#include "gateway/http/request_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

namespace gateway {

bool is_acceptable_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 128) return false;
    for (const char c : id) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

namespace {

/// A per-thread generator seeded once from the system's CSPRNG. Ids must be unique,
/// not secret; drawing each one from OpenSSL cost a getpid() system call per request.
std::mt19937_64& id_generator() {
    thread_local std::mt19937_64 generator = [] {
        std::array<std::uint32_t, 8> seed{};
        if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()),
                       static_cast<int>(seed.size() * sizeof(std::uint32_t))) != 1) {
            std::random_device device;
            for (auto& word : seed) word = device();
        }
        std::seed_seq sequence(seed.begin(), seed.end());
        return std::mt19937_64(sequence);
    }();
    return generator;
}

}  // namespace

std::string generate_request_id() {
    std::array<unsigned char, 16> bytes{};
    auto& generator = id_generator();
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        const std::uint64_t word = generator();
        for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<unsigned char>(word >> (8 * j));
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
