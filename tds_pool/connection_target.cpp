#include "tds_pool/connection_target.hpp"

#include <fmt/format.h>

namespace tds_pool {
namespace {

// FNV-1a, seeded with a fixed salt: enough to notice a rotated secret without ever
// printing it; the key is not a security boundary.
std::uint64_t fnv1a(std::string_view text) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ULL ^ 0x7467706f6f6c0000ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

}  // namespace

std::string connection_target::key() const {
    const std::string tls_key =
        tls.encrypt ? fmt::format("tls:{}:{}:{}", tls.trust_server_certificate ? "trust" : "verify",
                                  tls.ca_file, tls.host_name_in_certificate)
                    : std::string("plain");
    return fmt::format("{}:{}/{};{};{};{}", server, port, database, user, credential_fingerprint(),
                       tls_key);
}

std::string connection_target::address() const { return fmt::format("{}:{}", server, port); }

std::string connection_target::credential_fingerprint() const {
    return fmt::format("{:016x}", fnv1a(password));
}

}  // namespace tds_pool
