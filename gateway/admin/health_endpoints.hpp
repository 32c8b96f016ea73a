#pragma once
// The monitoring endpoints: /readyz, /health, /metrics, /dashboard and its charts' data
// /dashboard/series.json (registered by
// operator_endpoints). They answer from memory (cached probe results, counters), never
// waiting for a tenant database, so they stay fast while tenants are down or stalled.

#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "gateway/admin/health_monitor.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/runtime_state.hpp"
#include "router/request_target.hpp"

namespace gateway {

/// The answer of the monitoring endpoint at `target.path` (/readyz, /health, /metrics or
/// /dashboard; the endpoint table checked the method), under its access policy.
response monitoring_response(const router::parsed_target& target, const request& req,
                             const asio::ip::address& remote, const runtime_state& state,
                             health_monitor& monitor, std::string_view request_id);

}  // namespace gateway
