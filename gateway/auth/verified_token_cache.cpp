#include "gateway/auth/verified_token_cache.hpp"


namespace gateway {

verified_token_cache::verified_token_cache(std::size_t capacity)
    : per_shard_((capacity + shard_count - 1) / shard_count) {}

verified_token_cache::shard& verified_token_cache::shard_of(std::string_view token) const noexcept {
    // The low bits pick the bucket inside the shard's map; the high ones pick the shard.
    return shards_[(text_hash{}(token) >> 56) % shard_count];
}

std::optional<verified_token> verified_token_cache::find(std::string_view token, std::int64_t now) const {
    if (per_shard_ == 0) return std::nullopt;
    shard& s = shard_of(token);
    const std::lock_guard lock(s.mutex);
    const auto it = s.entries.find(token);
    if (it == s.entries.end()) return std::nullopt;
    if (now >= it->second.expires_at) {
        s.entries.erase(it);
        return std::nullopt;
    }
    return it->second;
}

void verified_token_cache::remember(std::string_view token, const verified_token& claims, std::int64_t now) const {
    if (per_shard_ == 0 || token.size() > max_token_bytes || now >= claims.expires_at) return;
    shard& s = shard_of(token);
    const std::lock_guard lock(s.mutex);
    if (s.entries.size() >= per_shard_ && !s.entries.contains(token)) make_room(s, per_shard_, now);
    s.entries.insert_or_assign(std::string(token), claims);
}

void verified_token_cache::make_room(shard& s, std::size_t limit, std::int64_t now) {
    std::erase_if(s.entries, [now](const auto& entry) { return now >= entry.second.expires_at; });
    if (s.entries.size() >= limit) s.entries.erase(s.entries.begin());
}

std::size_t verified_token_cache::size() const {
    std::size_t total = 0;
    for (const shard& s : shards_) {
        const std::lock_guard lock(s.mutex);
        total += s.entries.size();
    }
    return total;
}

}  // namespace gateway
