#include "gateway/telemetry/tenant_series.hpp"

#include <algorithm>
#include <bit>
#include <mutex>

namespace gateway {

namespace {

constexpr double first_bound_us = 100.0;
constexpr auto relaxed = std::memory_order_relaxed;

/// Raises `target` to `value` if it is lower.
void store_max(std::atomic<std::uint32_t>& target, std::uint32_t value) noexcept {
    auto seen = target.load(relaxed);
    while (seen < value && !target.compare_exchange_weak(seen, value, relaxed)) {
    }
}

}  // namespace

std::size_t latency_bucket(std::chrono::microseconds latency) noexcept {
    const auto us = latency.count() < 0 ? 0 : static_cast<std::uint64_t>(latency.count());
    const auto width = static_cast<std::size_t>(std::bit_width(us / 100));
    return std::min(width, latency_bucket_count - 1);
}

std::pair<double, double> latency_bucket_bounds(std::size_t i) noexcept {
    if (i == 0) return {0.0, first_bound_us};
    const double lower = first_bound_us * static_cast<double>(std::uint64_t{1} << (i - 1));
    return {lower, lower * 2};
}

std::optional<double> latency_percentile_ms(const latency_counts& counts, double q) noexcept {
    std::uint64_t total = 0;
    for (const auto c : counts) total += c;
    if (total == 0) return std::nullopt;
    // The rank of the wanted observation, 1-based; it falls in the first bucket whose
    // running count reaches it, at a proportional place between the bucket's bounds.
    const double rank = std::max(1.0, q * static_cast<double>(total));
    double below = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const double in_bucket = counts[i];
        if (in_bucket > 0 && below + in_bucket >= rank) {
            const auto [lower, upper] = latency_bucket_bounds(i);
            const double fraction = (rank - below) / in_bucket;
            return (lower + (upper - lower) * fraction) / 1000.0;
        }
        below += in_bucket;
    }
    return latency_bucket_bounds(counts.size() - 1).second / 1000.0;
}

status_group group_of(unsigned status) noexcept {
    if (status >= 500) return status_group::server_error;
    if (status >= 400) return status_group::client_error;
    return status_group::ok;
}

void tenant_ring::clear(slot& s) noexcept {
    for (auto& r : s.requests) r.store(0, relaxed);
    for (auto& b : s.latency) b.store(0, relaxed);
    s.pool_busy.store(0, relaxed);
    s.pool_idle.store(0, relaxed);
    s.probe_us.store(0, relaxed);
    s.flags.store(0, relaxed);
}

tenant_ring::slot* tenant_ring::claim(std::int64_t epoch) noexcept {
    slot& s = slots_[static_cast<std::size_t>(epoch) % ring_size];
    for (int attempt = 0; attempt < 1000; ++attempt) {
        auto tag = s.epoch.load(std::memory_order_acquire);
        if (tag == epoch) return &s;
        if (tag == clearing) continue;  // another thread is clearing it: a few stores
        if (tag > epoch) return nullptr;
        if (s.epoch.compare_exchange_strong(tag, clearing, std::memory_order_acq_rel)) {
            clear(s);
            s.epoch.store(epoch, std::memory_order_release);
            return &s;
        }
    }
    return nullptr;  // never seen in practice; dropping one sample beats waiting
}

void tenant_ring::prepare(std::int64_t epoch) noexcept { (void)claim(epoch); }

void tenant_ring::record_request(std::int64_t epoch, unsigned status,
                                 std::chrono::microseconds latency) noexcept {
    slot* s = claim(epoch);
    if (s == nullptr) return;
    s->requests[static_cast<std::size_t>(group_of(status))].fetch_add(1, relaxed);
    s->latency[latency_bucket(latency)].fetch_add(1, relaxed);
    if (last_active.load(relaxed) != epoch) last_active.store(epoch, relaxed);
}

void tenant_ring::record_pool(std::int64_t epoch, std::uint32_t busy, std::uint32_t idle) noexcept {
    slot* s = claim(epoch);
    if (s == nullptr) return;
    store_max(s->pool_busy, busy);
    s->pool_idle.store(idle, relaxed);
    s->flags.fetch_or(pool_flag, std::memory_order_release);
    last_active.store(epoch, relaxed);
}

void tenant_ring::record_probe(std::int64_t epoch, std::optional<std::chrono::microseconds> latency) noexcept {
    slot* s = claim(epoch);
    if (s == nullptr) return;
    if (latency) {
        const auto us = std::clamp<std::int64_t>(latency->count(), 0, UINT32_MAX);
        s->probe_us.store(static_cast<std::uint32_t>(us), relaxed);
        s->flags.fetch_or(probe_ok_flag, std::memory_order_release);
    } else {
        s->flags.fetch_or(probe_failed_flag, std::memory_order_release);
    }
    last_active.store(epoch, relaxed);
}

std::array<slot_values, tenant_ring::slot_count> tenant_ring::read(std::int64_t current) const {
    std::array<slot_values, slot_count> out{};
    for (std::size_t i = 0; i < slot_count; ++i) {
        const std::int64_t epoch = current - static_cast<std::int64_t>(slot_count - 1 - i);
        if (epoch < 0) continue;
        const slot& s = slots_[static_cast<std::size_t>(epoch) % ring_size];
        if (s.epoch.load(std::memory_order_acquire) != epoch) continue;
        slot_values& v = out[i];
        for (std::size_t g = 0; g < status_group_count; ++g) v.requests[g] = s.requests[g].load(relaxed);
        for (std::size_t b = 0; b < latency_bucket_count; ++b) v.latency[b] = s.latency[b].load(relaxed);
        const auto flags = s.flags.load(std::memory_order_acquire);
        if (flags & pool_flag) {
            v.pool_busy = s.pool_busy.load(relaxed);
            v.pool_idle = s.pool_idle.load(relaxed);
        }
        if (flags & probe_ok_flag) v.probe_us = s.probe_us.load(relaxed);
        v.probe_failed = (flags & probe_failed_flag) != 0;
        // Cleared for a newer epoch while being read: nothing of it belongs here.
        if (s.epoch.load(std::memory_order_acquire) != epoch) {
            v = slot_values{};
            continue;
        }
        v.has_data = true;
    }
    return out;
}

std::int64_t tenant_series::epoch_at(clock::time_point t) const noexcept {
    if (t < origin_) return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(t - origin_).count() / slot_length.count();
}

tenant_series::clock::time_point tenant_series::epoch_start(std::int64_t epoch) const noexcept {
    return origin_ + slot_length * epoch;
}

template <class Write>
void tenant_series::with_ring(std::string_view tenant, std::int64_t epoch, Write write) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = rings_.find(tenant); it != rings_.end()) {
            write(*it->second);
            return;
        }
    }
    std::unique_lock lock(mutex_);
    auto it = rings_.find(tenant);
    if (it == rings_.end()) {
        const auto limit = limit_.load(relaxed);
        if (limit == 0) return;
        while (rings_.size() >= limit) {
            auto oldest = std::min_element(rings_.begin(), rings_.end(), [](const auto& a, const auto& b) {
                return a.second->last_active.load(relaxed) < b.second->last_active.load(relaxed);
            });
            rings_.erase(oldest);
        }
        auto ring = std::make_unique<tenant_ring>();
        ring->last_active.store(epoch, relaxed);
        it = rings_.emplace(std::string(tenant), std::move(ring)).first;
    }
    write(*it->second);
}

void tenant_series::record_request(std::string_view tenant, unsigned status, std::chrono::microseconds latency,
                                   clock::time_point now) {
    const auto epoch = epoch_at(now);
    with_ring(tenant, epoch, [&](tenant_ring& r) { r.record_request(epoch, status, latency); });
}

void tenant_series::record_pool(std::string_view tenant, std::uint32_t busy, std::uint32_t idle,
                                clock::time_point now) {
    const auto epoch = epoch_at(now);
    with_ring(tenant, epoch, [&](tenant_ring& r) { r.record_pool(epoch, busy, idle); });
}

void tenant_series::record_probe(std::string_view tenant, std::optional<std::chrono::microseconds> latency,
                                 std::int64_t checked_ms, clock::time_point now) {
    const auto epoch = epoch_at(now);
    with_ring(tenant, epoch, [&](tenant_ring& r) {
        r.record_probe(epoch, latency);
        if (latency) {
            r.down_since_ms.store(0, relaxed);
        } else {
            std::int64_t up = 0;  // the first failure since the last success starts the outage
            r.down_since_ms.compare_exchange_strong(up, checked_ms, relaxed);
        }
    });
}

void tenant_series::rotate(clock::time_point now) {
    const auto epoch = epoch_at(now);
    const auto window = static_cast<std::int64_t>(slot_count);
    bool stale = false;
    {
        std::shared_lock lock(mutex_);
        for (const auto& [code, ring] : rings_) {
            ring->prepare(epoch + 1);
            stale = stale || epoch - ring->last_active.load(relaxed) >= window;
        }
    }
    if (!stale) return;
    std::unique_lock lock(mutex_);
    std::erase_if(rings_, [&](const auto& entry) { return epoch - entry.second->last_active.load(relaxed) >= window; });
}

std::size_t tenant_series::size() const {
    std::shared_lock lock(mutex_);
    return rings_.size();
}

std::vector<tenant_window> tenant_series::read(clock::time_point now, const std::optional<std::string>& only) const {
    const auto epoch = epoch_at(now);
    std::vector<tenant_window> out;
    std::shared_lock lock(mutex_);
    for (const auto& [code, ring] : rings_) {
        if (only && code != *only) continue;
        tenant_window w;
        w.tenant = code;
        if (const auto since = ring->down_since_ms.load(relaxed); since != 0) w.down_since_ms = since;
        w.slots = ring->read(epoch);
        out.push_back(std::move(w));
    }
    return out;
}

}  // namespace gateway
