#pragma once
// The endpoints the gateway answers itself, registered in the dispatcher's endpoint
// table at start-up:
//   GET  /livez /readyz /health /metrics /dashboard   (health_endpoints)
//   GET  /admin/tenants, POST /admin/registry/reload   (admin_tenants; while admin.enabled)

#include "gateway/admin/health_monitor.hpp"
#include "gateway/http/endpoint_table.hpp"
#include "gateway/http/handler_set.hpp"

namespace gateway {

/// Adds every operator endpoint to `table`. `monitor` and `handlers` must outlive it.
void add_operator_endpoints(endpoint_table& table, health_monitor& monitor, const handler_set& handlers);

}  // namespace gateway
