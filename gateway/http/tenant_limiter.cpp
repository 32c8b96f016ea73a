#include "gateway/http/tenant_limiter.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>

namespace gateway {

tenant_limiter::tenant_limiter(std::size_t max_entries) { set_max_entries(max_entries); }

void tenant_limiter::set_max_entries(std::size_t max_entries) noexcept {
    const std::size_t wanted = std::max<std::size_t>(1, max_entries / shard_count);
    // called per request with the same value: a store only when it changes keeps the
    // cache line shared between the event-loop threads
    if (per_shard_.load(std::memory_order_relaxed) != wanted) per_shard_.store(wanted, std::memory_order_relaxed);
}

tenant_limiter::shard& tenant_limiter::shard_for(std::string_view key) {
    return shards_[std::hash<std::string_view>{}(key) % shard_count];
}

void tenant_limiter::evict(shard& s, clock::time_point now) {
    auto stalest = s.entries.end();
    for (auto it = s.entries.begin(); it != s.entries.end();) {
        if (it->second.in_flight > 0) {
            ++it;
        } else if (it->second.full_at <= now) {
            it = s.entries.erase(it);
        } else {
            if (stalest == s.entries.end() || it->second.bucket.updated < stalest->second.bucket.updated) {
                stalest = it;
            }
            ++it;
        }
    }
    // every entry busy or refilling: the least recently used bucket starts over full
    if (s.entries.size() >= per_shard_.load(std::memory_order_relaxed) && stalest != s.entries.end()) {
        s.entries.erase(stalest);
    }
}

tenant_limiter::entry& tenant_limiter::find_or_add(shard& s, std::string_view key, clock::time_point now) {
    // the key is built per request anyway, so a lookup by std::string costs no extra allocation
    std::string owned(key);
    if (auto it = s.entries.find(owned); it != s.entries.end()) return it->second;
    if (s.entries.size() >= per_shard_.load(std::memory_order_relaxed)) evict(s, now);
    return s.entries.emplace(std::move(owned), entry{}).first->second;
}

bucket_verdict tenant_limiter::take(std::string_view key, const bucket_rule& rule, clock::time_point now) {
    shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    entry& e = find_or_add(s, key, now);
    if (e.demand < UINT32_MAX) ++e.demand;
    bucket_rule mine = rule;
    mine.share = e.share;
    const bucket_verdict verdict = take_token(e.bucket, mine, now);
    const double missing = mine.local_capacity() - e.bucket.tokens;
    e.full_at = now + std::chrono::duration_cast<clock::duration>(
                          std::chrono::duration<double>(missing / mine.local_rate()));
    return verdict;
}

std::vector<std::pair<std::string, std::uint32_t>> tenant_limiter::drain_demand(std::size_t max_keys) {
    std::vector<std::pair<std::string, std::uint32_t>> out;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (auto& [key, e] : s.entries) {
            if (e.demand == 0) {
                e.share = 1.0;
                continue;
            }
            out.emplace_back(key, e.demand);
            e.demand = 0;
        }
    }
    if (out.size() > max_keys) {
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(max_keys), out.end(),
                          [](const auto& a, const auto& b) { return a.second > b.second; });
        out.resize(max_keys);
    }
    return out;
}

void tenant_limiter::set_share(std::string_view key, double share) {
    shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    if (auto it = s.entries.find(std::string(key)); it != s.entries.end()) {
        it->second.share = std::clamp(share, 0.001, 1.0);
    }
}

void tenant_limiter::reset_shares() {
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (auto& [key, e] : s.entries) e.share = 1.0;
    }
}

bool tenant_limiter::enter(std::string_view key, std::uint32_t max) {
    shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    entry& e = find_or_add(s, key, clock::now());
    if (e.in_flight >= max) return false;
    ++e.in_flight;
    return true;
}

void tenant_limiter::leave(std::string_view key) {
    shard& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    // an entry with requests in flight is never evicted, so it is still there
    if (auto it = s.entries.find(std::string(key)); it != s.entries.end() && it->second.in_flight > 0) {
        --it->second.in_flight;
    }
}

std::map<std::string, std::uint32_t> tenant_limiter::in_flight() const {
    std::map<std::string, std::uint32_t> out;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (const auto& [key, e] : s.entries) {
            if (e.in_flight > 0) out.emplace(key, e.in_flight);
        }
    }
    return out;
}

std::size_t tenant_limiter::size() const {
    std::size_t total = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        total += s.entries.size();
    }
    return total;
}

}  // namespace gateway
