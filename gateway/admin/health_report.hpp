#pragma once
// The /health body: the seed's shape {"activePools", "tenants":[{"companyCode","server",
// "hosting","connected","latency"}]} plus per-tenant name, database, pool use, breaker,
// last error and last check, and the registry's freshness. Built from cached state
// only (probe results, pool snapshots, the registry snapshot): no I/O.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "conf/config.hpp"
#include "gateway/sql/probe_scheduler.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/pool_stats.hpp"
#include "tds_pool/registry/registry_client.hpp"
#include "tds_pool/registry/registry_record.hpp"

namespace gateway {

/// Everything the report is made of, copied out beforehand.
struct health_inputs {
    tds_pool::snapshot_ptr registry;
    tds_pool::registry_status registry_status;
    std::vector<tds_pool::pool_snapshot> pools;
    std::map<std::string, probe_result> probes;
    std::size_t active_pools = 0;
    conf::hosting_config hosting;
    std::size_t pool_max_size = 0;  ///< pools.max_size, for tenants without a pool yet
    /// This instance's place in the cluster and its share of the global caps.
    tds_pool::instance_caps caps;
    std::chrono::system_clock::time_point now{};
};

/// The /health JSON; only `only_tenant` (upper case) when set.
boost::json::object health_report(const health_inputs& in,
                                  const std::optional<std::string>& only_tenant);

/// "2026-11-27T08:01:55.123Z".
std::string iso8601(std::chrono::system_clock::time_point t);

/// "28ms" (whole milliseconds, at least "0ms").
std::string latency_text(std::chrono::microseconds latency);

}  // namespace gateway
