#pragma once
// The endpoints the gateway answers itself, registered in the dispatcher's endpoint
// table at start-up:
//   GET  /livez /readyz /health /metrics /dashboard /dashboard/series.json   (health_endpoints)
//   GET  /openapi.json                                 (openapi_document, under metrics.access)
//   GET  /admin/tenants, POST /admin/registry/reload   (admin_tenants; while admin.enabled)
//   POST /admin/config/reload                           (admin_config_reload; while admin.enabled)

#include "gateway/admin/admin_config_reload.hpp"
#include "gateway/admin/health_monitor.hpp"
#include "gateway/http/endpoint_table.hpp"

namespace gateway {

class tenant_backend;

/// Adds /livez, /readyz, /health, /metrics, /dashboard, /dashboard/series.json and /openapi.json. `monitor` must outlive `table`.
void add_monitoring_endpoints(endpoint_table& table, health_monitor& monitor);

/// Adds the /admin/ endpoints. `backend` must outlive `table`.
void add_admin_endpoints(endpoint_table& table, tenant_backend& backend, config_reload_function reload);

/// Adds every operator endpoint to `table`.
void add_operator_endpoints(endpoint_table& table, health_monitor& monitor, tenant_backend& backend,
                            config_reload_function reload);

}  // namespace gateway
