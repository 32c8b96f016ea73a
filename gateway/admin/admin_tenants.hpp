#pragma once
// Admin endpoints over the tenant registry (registered only while admin.enabled, under
// the admin access policy):
//   GET  /admin/tenants           the seed's registry table: code, name, server,
//                                 database, hosting, active (never users or secrets)
//   POST /admin/registry/reload   re-reads the registry now; 503 when it is unreachable

#include "gateway/http/endpoint_table.hpp"
#include "gateway/http/handler_set.hpp"

namespace gateway {

/// GET /admin/tenants: the registry table. `handlers` finds the database backend.
asio::awaitable<response> admin_tenants_answer(endpoint_request request, const handler_set* handlers);

/// POST /admin/registry/reload: re-reads the registry now.
asio::awaitable<response> admin_registry_reload_answer(endpoint_request request, const handler_set* handlers);

}  // namespace gateway
