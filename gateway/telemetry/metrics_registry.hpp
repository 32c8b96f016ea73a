#pragma once
// Request counters for /metrics, written on the request hot path. Every thread writes
// to its own shard (picked by a hash of the thread id), so requests on different I/O
// threads never contend; a scrape merges the shards. The number of distinct tenant
// label values is capped (metrics.max_tenant_labels); later tenants share "_other".

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "gateway/telemetry/tenant_series.hpp"

namespace gateway {

/// Fixed latency buckets in seconds shared by every gateway histogram.
inline constexpr std::array<double, 14> request_buckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};

/// Per-bucket (not cumulative) counts, a total and a sum.
struct bucket_counts {
    std::array<std::uint64_t, request_buckets.size() + 1> buckets{};  ///< last: +Inf
    std::uint64_t count = 0;
    double sum_seconds = 0.0;

    /// Counts one observation.
    void observe(double seconds);
    /// Adds another histogram's counts.
    void merge(const bucket_counts& other);
};

/// The labels of one request series.
struct request_key {
    std::string tenant;        ///< capped tenant label, "_none" without a tenant
    std::string route;         ///< route pattern, built-in path or "_unmatched"
    std::string method;        ///< a standard method or "OTHER"
    std::string status_class;  ///< "2xx" … "5xx"
    friend auto operator<=>(const request_key&, const request_key&) = default;
};

/// Orders request keys and lets a shard find a series from string views (no allocation).
struct request_key_less {
    using is_transparent = void;
    using view = std::tuple<std::string_view, std::string_view, std::string_view,
                            std::string_view>;
    static view as_view(const request_key& k) noexcept {
        return {k.tenant, k.route, k.method, k.status_class};
    }
    static const view& as_view(const view& v) noexcept { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
        return as_view(a) < as_view(b);
    }
};

/// Orders (label, reason) pairs and finds them from string views (no allocation).
struct label_pair_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
        using view = std::pair<std::string_view, std::string_view>;
        return view(a.first, a.second) < view(b.first, b.second);
    }
};

/// What is merged out of the shards at scrape time.
struct request_totals {
    std::map<request_key, std::uint64_t> requests;
    /// Request durations by (route, method).
    std::map<std::pair<std::string, std::string>, bucket_counts> durations;
    /// Tenant-limit refusals by (tenant label, reason).
    std::map<std::pair<std::string, std::string>, std::uint64_t> rate_limited;
};

/// One finished request as the counters see it.
struct finished_request {
    std::string_view tenant;  ///< empty: no tenant
    std::string_view route;   ///< empty: no route matched
    std::string_view method;
    unsigned status = 0;
    std::chrono::steady_clock::duration elapsed{};
    /// When it was answered; the epoch: read the clock in record() (the caller usually
    /// has just read it, and on some machines a clock read costs more than the counting).
    std::chrono::steady_clock::time_point finished{};
};

/// Thread-safe request counters with sharded storage and a capped tenant label set.
class metrics_registry {
public:
    metrics_registry();

    /// Counts a finished request. Cheap: one uncontended shard lock, no allocation once
    /// the series exists.
    void record(const finished_request& done);

    /// Marks a request as started; pair with request_finished().
    void request_started() noexcept { in_flight_.fetch_add(1, std::memory_order_relaxed); }
    /// Marks a request as answered (or abandoned).
    void request_finished() noexcept { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
    /// Requests being served now.
    std::int64_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }

    /// The tenant label for `tenant`: itself while fewer than `limit` tenants have a label
    /// of their own, "_other" afterwards; "_none" for an empty code; "_unknown" for a code
    /// the tenant filter does not know (never registered).
    std::string tenant_label(std::string_view tenant);
    /// Changes the cap (from the configuration; labels already given stay).
    void set_tenant_label_limit(std::size_t limit) noexcept {
        label_limit_.store(limit, std::memory_order_relaxed);
        series_.set_limit(limit);
    }

    /// Only codes this says are registered get a label of their own (or "_other").
    void set_tenant_filter(std::function<bool(std::string_view)> is_registered);

    /// Counts a request refused by the tenant limits; `reason` is rate, concurrency or user.
    void count_rate_limited(std::string_view tenant, std::string_view reason);

    /// Every shard merged.
    request_totals totals() const;
    /// The last 15 minutes per tenant (/dashboard's charts): record() feeds it the
    /// requests of tenants with a label of their own, under the same cap.
    tenant_series& history() noexcept { return series_; }
    const tenant_series& history() const noexcept { return series_; }
    /// When this registry was created (the process start, near enough).
    std::chrono::steady_clock::time_point started() const noexcept { return started_; }

private:
    struct series {
        std::uint64_t requests = 0;
        bucket_counts duration;
    };
    /// One shard: its own lock, taken by (nearly) one thread only.
    struct alignas(64) shard {
        mutable std::mutex mutex;
        std::map<request_key, series, request_key_less> series_by_key;
        std::map<std::string, std::string, std::less<>> tenant_labels;  ///< code -> label
        /// Tenant-limit refusals by (tenant label, reason).
        std::map<std::pair<std::string, std::string>, std::uint64_t, label_pair_less> rate_limited;
    };
    /// The tenant's label, from the shard's cache when it is there (`lock` holds
    /// s.mutex and is released while the global label set is asked).
    std::string_view label_on_shard(shard& s, std::unique_lock<std::mutex>& lock,
                                    std::string_view tenant, std::string& uncached);
    static constexpr std::size_t shard_count = 16;

    shard& my_shard();

    std::array<shard, shard_count> shards_;
    std::atomic<std::int64_t> in_flight_{0};
    std::atomic<std::size_t> label_limit_{1000};
    std::mutex labels_mutex_;  // taken when a tenant is first seen on a shard, not per request
    std::set<std::string, std::less<>> labelled_tenants_;
    std::function<bool(std::string_view)> is_registered_;  ///< guarded by labels_mutex_
    std::chrono::steady_clock::time_point started_;
    tenant_series series_{started_};
};

/// "2xx" for 200..299 and so on; "other" outside 100..599.
std::string_view status_class(unsigned status) noexcept;

/// The method as a label: standard methods as they are, anything else "OTHER".
std::string_view method_label(std::string_view method) noexcept;

}  // namespace gateway
