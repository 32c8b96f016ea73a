#pragma once
// The JSON behind /dashboard's charts (GET /dashboard/series.json): each tracked tenant's
// last 15 minutes, one value per 10 s slot, oldest first. A slot with nothing recorded is
// null, so charts show a gap rather than a made-up zero.

#include <chrono>
#include <vector>

#include <boost/json/object.hpp>

#include "gateway/telemetry/tenant_series.hpp"

namespace gateway {

/// Where the window stands: the wall time now and how far into its slot.
struct series_clock {
    std::chrono::system_clock::time_point now;
    std::chrono::steady_clock::duration into_slot{};  ///< time since the current slot began
};

/// {"slotSeconds","slots","now","windowStart","currentSlotSeconds","tenants":[{"companyCode",
///   "downSince","requests","rps":{"2xx","4xx","5xx"},"latencyMs":{"p50","p99"},
///   "pool":{"busy","idle"},"probeMs","probeFailed"}]}; times in ms since the Unix epoch.
boost::json::object series_report(const std::vector<tenant_window>& windows, const series_clock& clock);

}  // namespace gateway
