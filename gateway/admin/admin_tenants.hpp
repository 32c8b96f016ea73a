#pragma once
// Admin endpoints over the tenant registry (registered only while admin.enabled, under
// the admin access policy):
//   GET  /admin/tenants           the seed's registry table: code, name, server,
//                                 database, hosting, active (never users or secrets)
//   POST /admin/registry/reload   re-reads the registry now; 503 when it is unreachable

#include "gateway/http/endpoint_table.hpp"

namespace gateway {

class tenant_backend;

/// GET /admin/tenants: the registry table.
asio::awaitable<response> admin_tenants_answer(endpoint_request request, tenant_backend* backend);

/// POST /admin/registry/reload: re-reads the registry now.
asio::awaitable<response> admin_registry_reload_answer(endpoint_request request, tenant_backend* backend);

}  // namespace gateway
