#pragma once
// The tenant limits applied to a planned request (README, "Rate and concurrency
// limits"): after the route, the tenant and the token are known, before any pool or
// upstream work, so a refused request costs a hash lookup and a short lock.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/dispatcher.hpp"
#include "gateway/http/tenant_limiter.hpp"

namespace gateway {

class metrics_registry;

/// A tenant's limits where the registry table sets them; unset: the YAML or the defaults.
struct tenant_limit_override {
    std::optional<std::uint32_t> per_second;
    std::optional<std::uint32_t> max_concurrent;
};

/// The registry's limits of a tenant code (nullopt: no row, or no limit columns).
using tenant_limit_lookup = std::function<std::optional<tenant_limit_override>(const std::string&)>;

/// The limits one request is held to.
struct request_limits {
    bucket_rule bucket;                ///< the tenant's, or the route's own
    std::string_view policy = "tenant";  ///< "tenant" or "route"
    bucket_rule user;                  ///< per tenant + user (auth routes); may be unlimited
    std::uint32_t max_concurrent = 0;  ///< 0: unlimited
};

/// The limits of `route` for `tenant`: the route's own bucket, else the registry's
/// override, else the tenant's YAML entry, else `rate_limits:`.
request_limits limits_for(const conf::rate_limits_config& defaults, const conf::tenant_config* tenant,
                          const std::optional<tenant_limit_override>& registry,
                          const conf::route_config& route);

/// Where the session finds the tenant limits and counts refusals.
struct admission_context {
    tenant_limiter& limiter;
    metrics_registry& metrics;
    const tenant_limit_lookup* registry = nullptr;  ///< null: the registry sets no limits
};

/// Applies the tenant's limits to `plan`: on a refusal sets plan.refusal (429
/// rate_limited with Retry-After and the RateLimit headers) and counts it; otherwise
/// may hold a concurrency permit and the RateLimit headers for the answer in `plan`.
void admit_tenant(request_plan& plan, const runtime_state& state, const admission_context& ctx,
                  const std::string& request_id);

}  // namespace gateway
