#include "gateway/auth/login_dummy.hpp"

#include <openssl/rand.h>

#include <array>

#include "gateway/auth/password_hash.hpp"

namespace gateway {

namespace {

/// 32 random bytes as hex: a password nobody knows.
std::string random_password() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return "dummy-password-no-rng";
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

}  // namespace

std::optional<made_dummy> make_dummy_like(std::string_view stored_hash) {
    made_dummy out;
    out.scheme = hash_scheme_and_cost(stored_hash);
    if (out.scheme.empty()) return std::nullopt;
    const auto started = std::chrono::steady_clock::now();
    out.hash = hash_with_setting_of(random_password(), stored_hash);
    out.cost = std::chrono::steady_clock::now() - started;
    if (out.hash.empty()) return std::nullopt;
    return out;
}

dummy_hashes::dummy_hashes(made_dummy fallback, std::size_t max_entries)
    : fallback_(std::move(fallback)), max_entries_(max_entries) {}

void dummy_hashes::set_fallback(made_dummy fallback) {
    std::lock_guard lock(mutex_);
    fallback_ = std::move(fallback);
}

std::string dummy_hashes::for_unknown_user(std::string_view tenant) const {
    std::lock_guard lock(mutex_);
    const made_dummy* best = nullptr;
    if (const auto found = tenants_.find(tenant); found != tenants_.end()) {
        for (const auto& [scheme, dummy] : found->second) {
            if (!dummy.hash.empty() && (best == nullptr || dummy.cost > best->cost)) best = &dummy;
        }
    }
    return best ? best->hash : fallback_.hash;
}

bool dummy_hashes::claim(std::string_view tenant, std::string_view stored_hash) {
    std::string scheme = hash_scheme_and_cost(stored_hash);
    if (scheme.empty()) return false;
    std::lock_guard lock(mutex_);
    auto found = tenants_.find(tenant);
    if (found != tenants_.end() && found->second.contains(scheme)) return false;
    if (count_ >= max_entries_) return false;
    if (found == tenants_.end()) found = tenants_.emplace(std::string(tenant), std::map<std::string, made_dummy>{}).first;
    if (found->second.size() >= max_schemes_per_tenant) return false;
    found->second.emplace(scheme, made_dummy{scheme, {}, {}});
    ++count_;
    return true;
}

void dummy_hashes::add(std::string_view tenant, made_dummy dummy) {
    std::lock_guard lock(mutex_);
    const auto found = tenants_.find(tenant);
    if (found == tenants_.end()) return;
    const auto slot = found->second.find(dummy.scheme);
    if (slot != found->second.end()) slot->second = std::move(dummy);
}

std::size_t dummy_hashes::size() const {
    std::lock_guard lock(mutex_);
    return count_;
}

}  // namespace gateway
