#include "gateway/http/tenant_limiter_metrics.hpp"

#include <map>
#include <string>

#include "gateway/http/tenant_limiter.hpp"
#include "gateway/telemetry/metrics_registry.hpp"
#include "gateway/telemetry/metrics_text.hpp"

namespace gateway {

void write_tenant_in_flight(metrics_writer& writer, const tenant_limiter& limiter, metrics_registry& labels) {
    // tenants beyond the label cap share "_other": their counts are summed
    std::map<std::string, double> by_label;
    for (const auto& [tenant, count] : limiter.in_flight()) by_label[labels.tenant_label(tenant)] += count;
    writer.family("tenant_gateway_tenant_requests_in_flight",
                  "Requests in flight per tenant with a concurrency limit (rate_limits.max_concurrent).",
                  "gauge");
    for (const auto& [label, count] : by_label) {
        writer.sample("tenant_gateway_tenant_requests_in_flight", {{"tenant", label}}, count);
    }
}

}  // namespace gateway
