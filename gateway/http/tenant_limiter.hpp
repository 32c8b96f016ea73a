#pragma once
// The state of the tenant limits: token buckets (per tenant, tenant + route, tenant +
// user) and requests in flight per tenant. One object for the process, shared by every
// event-loop thread, kept across reloads. Keys are spread over shards with a lock each,
// so two tenants rarely meet on the same lock; the number of entries is capped, and
// when a shard is full its idle entries (full bucket, nothing in flight) go first.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/http/token_bucket.hpp"

namespace gateway {

/// Thread-safe buckets and in-flight counts, bounded in memory.
class tenant_limiter {
public:
    using clock = token_bucket::clock;

    /// Keeps at most about `max_entries` keys (buckets and in-flight counts together).
    explicit tenant_limiter(std::size_t max_entries = 100000);

    /// Takes a token from the bucket of `key` under `rule` (which must be limited()).
    bucket_verdict take(std::string_view key, const bucket_rule& rule, clock::time_point now);

    /// Counts a request in flight for `key` unless `max` are already; false: refused.
    bool enter(std::string_view key, std::uint32_t max);
    /// Ends a request counted by enter().
    void leave(std::string_view key);

    /// Bucket keys taken from since the last call with how many takes each saw (allowed
    /// or not), at most `max_keys` of the busiest; their counts start again at 0. A key
    /// nobody took from since forgets its share: it starts whole when used again.
    std::vector<std::pair<std::string, std::uint32_t>> drain_demand(std::size_t max_keys);
    /// This instance's share of `key`'s rule, in (0, 1] (shared rate limits); a key no
    /// longer held is ignored.
    void set_share(std::string_view key, double share);
    /// Every bucket back to its whole rule: the instance decides alone again.
    void reset_shares();

    /// Changes the cap (from a reloaded configuration); entries beyond it go over time.
    void set_max_entries(std::size_t max_entries) noexcept;
    /// Entries held now (tests, and the bound's check).
    std::size_t size() const;
    /// Requests counted by enter() and not yet left, by key (only keys with some).
    std::map<std::string, std::uint32_t> in_flight() const;

private:
    struct entry {
        token_bucket bucket;
        std::uint32_t in_flight = 0;
        clock::time_point full_at{};  ///< from then on, forgetting the bucket loses nothing
        std::uint32_t demand = 0;     ///< takes since the last drain_demand
        double share = 1.0;           ///< of the rule, set by the shared rate limits
    };
    struct alignas(64) shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, entry> entries;
    };
    static constexpr std::size_t shard_count = 16;

    shard& shard_for(std::string_view key);
    /// The entry of `key`, made room for when the shard is full; caller holds the lock.
    entry& find_or_add(shard& s, std::string_view key, clock::time_point now);
    /// Drops idle entries of a full shard: every forgettable one, else the stalest.
    void evict(shard& s, clock::time_point now);

    std::array<shard, shard_count> shards_;
    std::atomic<std::size_t> per_shard_{0};
};

/// A request counted in flight by tenant_limiter::enter, ended when this goes.
class concurrency_permit {
public:
    /// `limiter` must outlive the permit (it lives as long as the server).
    concurrency_permit(tenant_limiter& limiter, std::string key) : limiter_(limiter), key_(std::move(key)) {}
    ~concurrency_permit() { limiter_.leave(key_); }
    concurrency_permit(const concurrency_permit&) = delete;
    concurrency_permit& operator=(const concurrency_permit&) = delete;

private:
    tenant_limiter& limiter_;
    std::string key_;
};

}  // namespace gateway
