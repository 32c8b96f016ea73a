#pragma once
// Admin endpoints over the tenant registry (only when admin.enabled, under the admin
// access policy):
//   GET  /admin/tenants           the seed's registry table: code, name, server,
//                                 database, hosting, active (never users or secrets)
//   POST /admin/registry/reload   re-reads the registry now; 503 when it is unreachable

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "gateway/http_types.hpp"
#include "gateway/runtime_state.hpp"

namespace gateway {

class tenant_backend;

/// True for the paths answered by admin_tenants_response.
bool is_admin_tenants_path(std::string_view path) noexcept;

/// The response for an admin tenants path; nullopt when admin is disabled (the request
/// then goes through the route table like any other). The pointers must stay valid
/// until the awaitable completes.
asio::awaitable<std::optional<response>> admin_tenants_response(
    const request* req, asio::ip::address remote, std::shared_ptr<const runtime_state> state,
    tenant_backend* backend, std::string request_id);

}  // namespace gateway
