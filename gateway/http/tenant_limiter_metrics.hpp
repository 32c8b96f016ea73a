#pragma once
// The tenant limits' gauge for /metrics: requests in flight per tenant.

namespace gateway {

class metrics_writer;
class metrics_registry;
class tenant_limiter;

/// `tenant_gateway_tenant_requests_in_flight{tenant}` for the tenants with a concurrency
/// limit (only they are counted), under the capped tenant labels of `labels`.
void write_tenant_in_flight(metrics_writer& writer, const tenant_limiter& limiter, metrics_registry& labels);

}  // namespace gateway
