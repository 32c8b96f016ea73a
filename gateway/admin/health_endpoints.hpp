#pragma once
// The monitoring endpoints: /readyz, /health, /metrics and /dashboard (registered by
// operator_endpoints). They answer from memory (cached probe results, counters), never
// waiting for a tenant database, so they stay fast while tenants are down or stalled.

#include <optional>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "gateway/admin/health_monitor.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/runtime_state.hpp"

namespace gateway {

/// The response for a monitoring path, or std::nullopt when `req` is not for one.
std::optional<response> monitoring_response(const request& req,
                                            const asio::ip::address& remote,
                                            const runtime_state& state, health_monitor& monitor,
                                            std::string_view request_id);

}  // namespace gateway
