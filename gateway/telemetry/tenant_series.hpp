#pragma once
// The last 15 minutes of every tracked tenant, for the charts of /dashboard: per slot of
// 10 s, requests by status class, a latency histogram, the pool's busy and idle
// connections and the probe's latency. Fixed-size rings of atomics: recording a request
// is a shared lock on the tenant map and a few relaxed atomic adds, no allocation once
// the tenant is tracked. The number of tenants is capped (metrics.max_tenant_labels);
// the least recently active one makes room for a new one, and tenants with nothing in
// the window are dropped by rotate().

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

/// Latency buckets of a slot: bucket 0 holds latencies below 100 µs, bucket i (i >= 1)
/// [100 µs·2^(i-1), 100 µs·2^i); the last one everything from 26.2 s up.
inline constexpr std::size_t latency_bucket_count = 20;
using latency_counts = std::array<std::uint32_t, latency_bucket_count>;

/// The bucket of `latency`.
std::size_t latency_bucket(std::chrono::microseconds latency) noexcept;
/// The lower and upper bounds of bucket `i` in microseconds (the last one's upper
/// bound is twice its lower one, for interpolation).
std::pair<double, double> latency_bucket_bounds(std::size_t i) noexcept;
/// The `q` quantile (0 < q <= 1) of the counted latencies in milliseconds, linear
/// inside its bucket; nullopt when nothing was counted.
std::optional<double> latency_percentile_ms(const latency_counts& counts, double q) noexcept;

/// Status classes charted: 1xx–3xx count as "2xx".
enum class status_group : std::size_t { ok = 0, client_error = 1, server_error = 2 };
inline constexpr std::size_t status_group_count = 3;
/// The group of an HTTP status.
status_group group_of(unsigned status) noexcept;

/// One slot as read.
struct slot_values {
    bool has_data = false;  ///< the slot belongs to the window and was written
    std::array<std::uint32_t, status_group_count> requests{};
    latency_counts latency{};
    std::optional<std::uint32_t> pool_busy;  ///< the most busy connections sampled
    std::optional<std::uint32_t> pool_idle;  ///< the idle connections last sampled
    std::optional<std::uint32_t> probe_us;   ///< the last successful probe's latency
    bool probe_failed = false;               ///< a probe in this slot failed
};

/// One tenant's ring: a window of `slot_count` slots, epoch e stored at e % ring_size.
/// One slot more than the window, so the next slot can be cleared ahead of time without
/// losing the window's oldest. Every field is atomic, so recorders on any thread and a
/// reader never race.
class tenant_ring {
public:
    static constexpr std::size_t slot_count = 90;
    static constexpr std::size_t ring_size = slot_count + 1;

    /// Counts a request answered with `status` after `latency`, in epoch `epoch`.
    void record_request(std::int64_t epoch, unsigned status, std::chrono::microseconds latency) noexcept;
    /// Samples the pool: the slot keeps the most busy and the last idle count.
    void record_pool(std::int64_t epoch, std::uint32_t busy, std::uint32_t idle) noexcept;
    /// A probe's outcome: its latency, or nullopt when it failed.
    void record_probe(std::int64_t epoch, std::optional<std::chrono::microseconds> latency) noexcept;
    /// Clears the slot of `epoch` ahead of time, so recorders seldom have to.
    void prepare(std::int64_t epoch) noexcept;
    /// The window ending at `current`, oldest slot first.
    std::array<slot_values, slot_count> read(std::int64_t current) const;

    /// Wall time (ms since the epoch) of the first failed probe since the last good
    /// one; 0 while up.
    std::atomic<std::int64_t> down_since_ms{0};
    /// The last epoch anything was recorded in.
    std::atomic<std::int64_t> last_active{0};

private:
    static constexpr std::int64_t clearing = -2;
    static constexpr std::uint8_t pool_flag = 1, probe_ok_flag = 2, probe_failed_flag = 4;
    struct slot {
        std::atomic<std::int64_t> epoch{-1};
        std::array<std::atomic<std::uint32_t>, status_group_count> requests{};
        std::array<std::atomic<std::uint32_t>, latency_bucket_count> latency{};
        std::atomic<std::uint32_t> pool_busy{0};
        std::atomic<std::uint32_t> pool_idle{0};
        std::atomic<std::uint32_t> probe_us{0};
        std::atomic<std::uint8_t> flags{0};
    };
    /// The slot of `epoch`, cleared first when it still holds an older one; null when
    /// it already holds a newer epoch (a very late caller).
    slot* claim(std::int64_t epoch) noexcept;
    static void clear(slot& s) noexcept;

    std::array<slot, ring_size> slots_;
};

/// One tenant's window as read for the dashboard.
struct tenant_window {
    std::string tenant;
    std::optional<std::int64_t> down_since_ms;
    std::array<slot_values, tenant_ring::slot_count> slots;  ///< oldest first
};

/// Every tracked tenant's ring, keyed by company code. Thread-safe.
class tenant_series {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds slot_length{10};
    static constexpr std::size_t slot_count = tenant_ring::slot_count;

    /// Epochs count slot lengths from `origin`.
    explicit tenant_series(clock::time_point origin = clock::now()) : origin_(origin) {}

    /// The epoch (slot number) that `t` falls in.
    std::int64_t epoch_at(clock::time_point t) const noexcept;
    /// When epoch `epoch` began.
    clock::time_point epoch_start(std::int64_t epoch) const noexcept;

    /// Counts an answered request of `tenant` (tracked from now on, within the cap).
    void record_request(std::string_view tenant, unsigned status, std::chrono::microseconds latency,
                        clock::time_point now);
    /// Samples `tenant`'s pool.
    void record_pool(std::string_view tenant, std::uint32_t busy, std::uint32_t idle, clock::time_point now);
    /// A probe of `tenant` finished at wall time `checked_ms`: latency, or nullopt when it failed.
    void record_probe(std::string_view tenant, std::optional<std::chrono::microseconds> latency,
                      std::int64_t checked_ms, clock::time_point now);
    /// Clears every ring's next slot and drops tenants with nothing in the window.
    void rotate(clock::time_point now);

    /// The most tenants tracked at once.
    void set_limit(std::size_t limit) noexcept { limit_.store(limit, std::memory_order_relaxed); }
    /// Tenants tracked now.
    std::size_t size() const;
    /// The windows ending at `now`, by company code; only `only` when given.
    std::vector<tenant_window> read(clock::time_point now, const std::optional<std::string>& only = {}) const;

private:
    /// Runs `write` on the tenant's ring while the ring cannot be dropped: under the
    /// shared lock when it is tracked, else under the exclusive lock after making it
    /// (evicting the least recently active ring at the cap). Nothing at a cap of 0.
    template <class Write>
    void with_ring(std::string_view tenant, std::int64_t epoch, Write write);

    const clock::time_point origin_;
    std::atomic<std::size_t> limit_{1000};
    mutable std::shared_mutex mutex_;  // exclusive only to add or drop a tenant
    std::map<std::string, std::unique_ptr<tenant_ring>, std::less<>> rings_;
};

}  // namespace gateway
