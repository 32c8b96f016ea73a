#pragma once
// The proxy's upstream statistics as Prometheus families (added to every /metrics scrape).

#include "gateway/telemetry/metrics_text.hpp"
#include "gateway/proxy/upstream_registry.hpp"

namespace gateway {

/// Writes requests, errors, health, in-flight and connections per upstream server.
void write_upstream_metrics(metrics_writer& writer, const upstream_registry& upstreams);

}  // namespace gateway
