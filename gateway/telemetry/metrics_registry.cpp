#include "gateway/telemetry/metrics_registry.hpp"

#include <algorithm>
#include <functional>
#include <thread>

namespace gateway {

namespace {

constexpr std::string_view no_tenant = "_none";
constexpr std::string_view other_tenant = "_other";
constexpr std::string_view unknown_tenant = "_unknown";
constexpr std::string_view no_route = "_unmatched";

}  // namespace

void bucket_counts::observe(double seconds) {
    const auto it = std::lower_bound(request_buckets.begin(), request_buckets.end(), seconds);
    ++buckets[static_cast<std::size_t>(it - request_buckets.begin())];
    ++count;
    sum_seconds += seconds;
}

void bucket_counts::merge(const bucket_counts& other) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
    count += other.count;
    sum_seconds += other.sum_seconds;
}

std::string_view status_class(unsigned status) noexcept {
    static constexpr std::array<std::string_view, 5> classes = {"1xx", "2xx", "3xx", "4xx",
                                                                "5xx"};
    if (status < 100 || status > 599) return "other";
    return classes[status / 100 - 1];
}

std::string_view method_label(std::string_view method) noexcept {
    static constexpr std::array<std::string_view, 9> known = {
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
    for (const auto m : known) {
        if (m == method) return m;
    }
    return "OTHER";  // arbitrary client-chosen methods must not create series
}

metrics_registry::metrics_registry() : started_(std::chrono::steady_clock::now()) {
    series_.set_limit(label_limit_.load());
}

metrics_registry::shard& metrics_registry::my_shard() {
    thread_local const std::size_t index =
        std::hash<std::thread::id>{}(std::this_thread::get_id()) % shard_count;
    return shards_[index];
}

std::string metrics_registry::tenant_label(std::string_view tenant) {
    if (tenant.empty()) return std::string(no_tenant);
    std::lock_guard lock(labels_mutex_);
    if (labelled_tenants_.find(tenant) != labelled_tenants_.end()) return std::string(tenant);
    // A code a client made up must not take a label slot a real tenant will need.
    if (is_registered_ && !is_registered_(tenant)) return std::string(unknown_tenant);
    if (labelled_tenants_.size() >= label_limit_.load(std::memory_order_relaxed)) {
        return std::string(other_tenant);
    }
    labelled_tenants_.emplace(tenant);
    return std::string(tenant);
}

std::string_view metrics_registry::label_on_shard(shard& s, std::unique_lock<std::mutex>& lock,
                                                  std::string_view tenant, std::string& uncached) {
    if (auto found = s.tenant_labels.find(tenant); found != s.tenant_labels.end()) return found->second;
    // First request of this tenant on this shard: ask the global label set once.
    lock.unlock();
    uncached = tenant_label(tenant);
    lock.lock();
    // Codes beyond the cap or unknown (possibly random ones from clients) are not
    // remembered: a tenant registered later gets its own label then.
    if (uncached == tenant) return s.tenant_labels.emplace(std::string(tenant), uncached).first->second;
    return uncached;
}

void metrics_registry::count_rate_limited(std::string_view tenant, std::string_view reason) {
    shard& s = my_shard();
    std::unique_lock lock(s.mutex);
    std::string uncached;
    const std::string_view label = label_on_shard(s, lock, tenant, uncached);
    auto it = s.rate_limited.find(std::pair<std::string_view, std::string_view>{label, reason});
    if (it == s.rate_limited.end()) {
        it = s.rate_limited.emplace(std::pair{std::string(label), std::string(reason)}, 0).first;
    }
    ++it->second;
}

void metrics_registry::record(const finished_request& done) {
    shard& s = my_shard();
    const std::string_view route = done.route.empty() ? no_route : done.route;
    const std::string_view method = method_label(done.method);
    const std::string_view klass = status_class(done.status);
    const double seconds = std::chrono::duration<double>(done.elapsed).count();

    std::unique_lock lock(s.mutex);
    std::string uncached;  // label of a capped tenant that is not remembered per shard
    const std::string_view label = label_on_shard(s, lock, done.tenant, uncached);
    const request_key_less::view key{label, route, method, klass};
    auto it = s.series_by_key.find(key);
    if (it == s.series_by_key.end()) {
        request_key owned{std::string(label), std::string(route), std::string(method),
                          std::string(klass)};
        it = s.series_by_key.emplace(std::move(owned), series{}).first;
    }
    ++it->second.requests;
    it->second.duration.observe(seconds);
    const bool own_label = !done.tenant.empty() && label == done.tenant;
    lock.unlock();
    // Registered tenants within the label cap only: codes made up by clients are not charted.
    if (own_label) {
        const auto finished = done.finished == std::chrono::steady_clock::time_point{}
                                  ? std::chrono::steady_clock::now()
                                  : done.finished;
        series_.record_request(done.tenant, done.status,
                               std::chrono::duration_cast<std::chrono::microseconds>(done.elapsed), finished);
    }
}

void metrics_registry::set_tenant_filter(std::function<bool(std::string_view)> is_registered) {
    std::lock_guard lock(labels_mutex_);
    is_registered_ = std::move(is_registered);
}

request_totals metrics_registry::totals() const {
    request_totals out;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (const auto& [key, values] : s.series_by_key) {
            out.requests[key] += values.requests;
            out.durations[{key.route, key.method}].merge(values.duration);
        }
        for (const auto& [key, count] : s.rate_limited) out.rate_limited[key] += count;
    }
    return out;
}

}  // namespace gateway
