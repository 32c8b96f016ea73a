#pragma once
// Shared rate limits (README, "Many instances: shared rate limits"): the instances split
// each token bucket by their demand, exchanged through Redis every sync_interval, so N
// instances together admit about one bucket's worth, not N.
//
// Why demand shares and not a Redis call per request: the request path stays local (a
// hash look-up and a short lock, as with one instance) and Redis sees one script per
// instance and interval, whatever the request rate. Each interval this instance writes,
// for each bucket it took from, its demand (takes per second, allowed or refused) under
// its own field of the bucket's Redis hash, and reads the sum of every instance's recent
// demand; its share of the bucket is its demand over that sum. With tenant affinity at
// the balancer one instance sees all of a tenant's demand and keeps the whole bucket.
//
// What it costs: a share is at most one interval old, so when demand moves between
// instances they may admit up to a bucket more than the limit for an interval, and an
// instance that starts taking from a bucket holds it whole until its first exchange.
// Never failing open: while Redis is down, slow or erroring, every bucket is whole on
// every instance again, as without sharing (each instance still enforces every limit),
// logged once per change of state.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "gateway/cluster/redis_link.hpp"
#include "gateway/http/tenant_limiter.hpp"

namespace gateway {

class metrics_writer;

/// Exchanges demand with the other instances and sets the limiter's shares; runs on its
/// own thread, never on a request's.
class rate_share_sync {
public:
    /// Starts the thread: connects, then exchanges every sync_interval. `instance` names
    /// this instance's field in Redis (unique among the instances). `limiter` must
    /// outlive this object.
    rate_share_sync(const conf::rate_limits_shared_config& settings, tenant_limiter& limiter,
                    std::string instance);
    /// Stops and joins the thread; the buckets keep their last shares.
    ~rate_share_sync();
    rate_share_sync(const rate_share_sync&) = delete;
    rate_share_sync& operator=(const rate_share_sync&) = delete;

    /// True while connected to Redis.
    bool connected() const noexcept { return link_.connected(); }
    /// Exchanges that set shares, and those that could not (Redis down or failing).
    std::uint64_t exchanges() const noexcept { return exchanges_.load(std::memory_order_relaxed); }
    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }
    /// The settings it was made with (a reload with others builds a new one).
    const conf::rate_limits_shared_config& settings() const noexcept { return settings_; }

private:
    void schedule();
    void exchange();
    /// Every bucket whole again, once per outage.
    void fall_back();

    const conf::rate_limits_shared_config settings_;
    tenant_limiter& limiter_;
    const std::string instance_;
    std::atomic<std::uint64_t> exchanges_{0};
    std::atomic<std::uint64_t> failures_{0};
    // Touched on the thread only.
    std::chrono::steady_clock::time_point last_exchange_;
    bool shares_set_ = false;
    bool stopping_ = false;
    // Joined in the destructor, before the link and the timer go away.
    asio::thread_pool thread_{1};
    redis_link link_;
    asio::steady_timer timer_;
};

/// The /metrics families of the shared rate limits; `sync` null: not configured.
void write_rate_share_metrics(metrics_writer& writer, const rate_share_sync* sync);

/// This instance's field in the buckets' Redis hashes: "i<id>" in a cluster, else the
/// host name and process id.
std::string rate_share_instance_name(const conf::cluster_config& cluster);

}  // namespace gateway
