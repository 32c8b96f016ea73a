#include "gateway/admin/series_report.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json/array.hpp>

namespace gateway {

namespace {

using std::chrono::duration;

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// Two decimals are plenty for a chart and keep the answer small.
double rounded(double value) { return std::round(value * 100.0) / 100.0; }

/// One array per slot: `value(slot, index)` or null.
template <class Value>
boost::json::array per_slot(const tenant_window& w, Value value) {
    boost::json::array out;
    out.reserve(w.slots.size());
    for (std::size_t i = 0; i < w.slots.size(); ++i) {
        const auto& s = w.slots[i];
        if (auto v = s.has_data ? value(s, i) : std::optional<double>()) {
            out.emplace_back(rounded(*v));
        } else {
            out.emplace_back(nullptr);
        }
    }
    return out;
}

boost::json::object tenant_report(const tenant_window& w, double current_slot_seconds) {
    const double slot_seconds = static_cast<double>(tenant_series::slot_length.count());
    const std::size_t last = w.slots.size() - 1;
    // The current slot is still filling: its rate is over the time it has run.
    auto seconds_of = [&](std::size_t i) { return i == last ? std::max(1.0, current_slot_seconds) : slot_seconds; };
    boost::json::object rps;
    std::uint64_t requests = 0;
    const char* names[status_group_count] = {"2xx", "4xx", "5xx"};
    for (std::size_t g = 0; g < status_group_count; ++g) {
        rps[names[g]] = per_slot(w, [&](const slot_values& s, std::size_t i) -> std::optional<double> {
            return s.requests[g] / seconds_of(i);
        });
        for (const auto& s : w.slots) requests += s.requests[g];
    }
    boost::json::object latency;
    latency["p50"] = per_slot(w, [](const slot_values& s, std::size_t) { return latency_percentile_ms(s.latency, 0.50); });
    latency["p99"] = per_slot(w, [](const slot_values& s, std::size_t) { return latency_percentile_ms(s.latency, 0.99); });
    auto as_double = [](std::optional<std::uint32_t> v) { return v ? std::optional<double>(*v) : std::nullopt; };
    boost::json::object pool;
    pool["busy"] = per_slot(w, [&](const slot_values& s, std::size_t) { return as_double(s.pool_busy); });
    pool["idle"] = per_slot(w, [&](const slot_values& s, std::size_t) { return as_double(s.pool_idle); });

    boost::json::object t;
    t["companyCode"] = w.tenant;
    if (w.down_since_ms) {
        t["downSince"] = *w.down_since_ms;
    } else {
        t["downSince"] = nullptr;
    }
    t["requests"] = requests;
    t["rps"] = std::move(rps);
    t["latencyMs"] = std::move(latency);
    t["pool"] = std::move(pool);
    t["probeMs"] = per_slot(w, [](const slot_values& s, std::size_t) -> std::optional<double> {
        if (!s.probe_us) return std::nullopt;
        return *s.probe_us / 1000.0;
    });
    boost::json::array failed;
    for (const auto& s : w.slots) failed.emplace_back(s.probe_failed);
    t["probeFailed"] = std::move(failed);
    return t;
}

}  // namespace

boost::json::object series_report(const std::vector<tenant_window>& windows, const series_clock& clock) {
    const auto slot = tenant_series::slot_length;
    const double into = duration<double>(clock.into_slot).count();
    const auto current_start =
        clock.now - std::chrono::duration_cast<std::chrono::system_clock::duration>(clock.into_slot);
    const auto window_start = current_start - slot * static_cast<int>(tenant_series::slot_count - 1);
    boost::json::object out;
    out["slotSeconds"] = slot.count();
    out["slots"] = static_cast<std::int64_t>(tenant_series::slot_count);
    out["now"] = epoch_ms(clock.now);
    out["windowStart"] = epoch_ms(window_start);
    out["currentSlotSeconds"] = rounded(into);
    boost::json::array tenants;
    for (const auto& w : windows) tenants.emplace_back(tenant_report(w, into));
    out["tenants"] = std::move(tenants);
    return out;
}

}  // namespace gateway
