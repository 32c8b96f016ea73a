#pragma once
// The router's whole decision for one request: which route, which tenant, or which
// error response, computed without any I/O.

#include <optional>
#include <string_view>

#include "router/http_error.hpp"
#include "router/route_table.hpp"
#include "router/tenant_resolver.hpp"

namespace router {

/// Route and tenant of a request; `error` set means answer with that error.
struct decision {
    route_match match;
    tenant_resolution tenant;
    std::optional<http_error> error;
};

/// Matches the route and resolves the tenant (both always computed, for logging).
/// The first error wins, in this order: route (404, 405), tenant (400
/// invalid_company_code, tenant_conflict), then 400 tenant_required when the route
/// needs a tenant and none was named. `facts.target` must be set.
decision decide(const route_table& routes, const tenant_resolver& resolver,
                std::string_view method, const request_facts& facts);

}  // namespace router
