#pragma once
// The whole /metrics exposition, built from copies taken at scrape time: request counters,
// per-tenant pools, probes, the registry and the process. Every name starts with
// `tenant_gateway_`; tenant labels go through the registry's cap.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "gateway/telemetry/metrics_process.hpp"
#include "gateway/telemetry/metrics_registry.hpp"
#include "gateway/telemetry/metrics_text.hpp"
#include "gateway/sql/probe_scheduler.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/pool_stats.hpp"
#include "tds_pool/registry/registry_client.hpp"

namespace gateway {

/// Writes more families (e.g. upstream statistics of the proxy) into a scrape.
using metrics_collector = std::function<void(metrics_writer&)>;

/// Tenant-side state of a scrape; absent when the gateway has no tenant backend.
struct tenant_metrics_inputs {
    std::vector<tds_pool::pool_snapshot> pools;
    std::size_t active_pools = 0;
    std::map<std::string, probe_result> probes;
    tds_pool::snapshot_ptr registry;
    tds_pool::registry_status registry_status;
    conf::hosting_config hosting;
    tds_pool::instance_caps caps;  ///< cluster placement and this instance's global caps
};

/// Everything one scrape shows.
struct metrics_inputs {
    request_totals requests;
    std::int64_t in_flight = 0;
    double uptime_seconds = 0;
    double start_time_seconds = 0;  ///< Unix time
    process_figures process;
    std::optional<tenant_metrics_inputs> tenants;
    std::vector<metrics_collector> collectors;
};

/// The exposition text; `labels` maps tenant codes to their capped label.
std::string render_metrics(const metrics_inputs& in, metrics_registry& labels);

/// The Content-Type of the exposition.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace gateway
