#include "gateway/admin/health_report.hpp"

#include <ctime>

#include <boost/json/array.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "tds_pool/instance_share.hpp"
#include "tds_pool/registry/hosting.hpp"

namespace gateway {

namespace {

/// The live (not draining) pool of a tenant, if there is one.
const tds_pool::pool_snapshot* live_pool(const std::vector<tds_pool::pool_snapshot>& pools,
                                         const std::string& code) {
    for (const auto& pool : pools) {
        if (pool.tenant == code && !pool.draining) return &pool;
    }
    return nullptr;
}

/// misconfigured, unknown (no probe yet), elsewhere (a cluster instance without a pool
/// of the tenant), up or down.
const char* tenant_status(const tds_pool::tenant_record& tenant, const probe_result* probe) {
    if (!tenant.problem.empty()) return "misconfigured";
    if (probe == nullptr) return "unknown";
    if (probe->elsewhere) return "elsewhere";
    return probe->ok ? "up" : "down";
}

/// `limit` is the tenant's connections on all instances; `share` this instance's part.
boost::json::object pool_json(const tds_pool::pool_snapshot* pool, std::size_t limit,
                              std::size_t share) {
    boost::json::object out;
    out["size"] = pool ? pool->idle + pool->busy + pool->opening : 0;
    out["idle"] = pool ? pool->idle : 0;
    out["busy"] = pool ? pool->busy : 0;
    out["opening"] = pool ? pool->opening : 0;
    out["waiting"] = pool ? pool->waiters : 0;
    out["max"] = pool ? pool->max_size : share;
    out["clusterMax"] = limit;
    return out;
}

/// One entry of "tenants".
boost::json::object tenant_json(const tds_pool::tenant_record& tenant, const health_inputs& in) {
    const auto* pool = live_pool(in.pools, tenant.code);
    const auto probe_it = in.probes.find(tenant.code);
    const probe_result* probe = probe_it == in.probes.end() ? nullptr : &probe_it->second;

    boost::json::object out;
    out["companyCode"] = tenant.code;
    out["name"] = tenant.name;
    out["server"] = tenant.server;
    out["database"] = tenant.database;
    out["hosting"] = tds_pool::hosting_label(tenant.server, in.hosting);
    const bool connected = probe != nullptr && probe->ok && tenant.problem.empty();
    out["status"] = tenant_status(tenant, probe);
    if (out["status"] == "elsewhere") {
        out["connected"] = nullptr;  // not known here: the instance serving it probes it
    } else {
        out["connected"] = connected;
    }
    if (tenant.problem.empty()) {
        out["problem"] = nullptr;
    } else {
        out["problem"] = tenant.problem;
    }
    if (connected && probe->latency) {
        out["latency"] = latency_text(*probe->latency);
        out["latencyMs"] = static_cast<double>(probe->latency->count()) / 1000.0;
    } else {
        out["latency"] = nullptr;
        out["latencyMs"] = nullptr;
    }
    const std::size_t limit = tenant.max_connections.value_or(in.pool_max_size);
    out["pool"] = pool_json(pool, limit, tds_pool::instance_share(limit, in.caps.cluster, tenant.code));
    out["breaker"] = pool ? pool->breaker_state : "closed";
    // How the last connection opened travels; null before any opened.
    if (pool != nullptr && !pool->encryption.empty()) {
        out["encryption"] = pool->encryption;
    } else {
        out["encryption"] = nullptr;
    }
    // The probe's own failure first: it is the freshest word on reachability.
    if (probe != nullptr && !probe->ok && !probe->error.empty()) {
        out["lastError"] = probe->error;
    } else if (pool != nullptr && !pool->last_error.empty()) {
        out["lastError"] = pool->last_error;
    } else {
        out["lastError"] = nullptr;
    }
    if (pool != nullptr && pool->last_error_at) {
        out["lastErrorAt"] = iso8601(*pool->last_error_at);
    } else {
        out["lastErrorAt"] = nullptr;
    }
    if (probe != nullptr) {
        out["lastCheck"] = iso8601(probe->checked_at);
    } else {
        out["lastCheck"] = nullptr;
    }
    return out;
}

/// "instance": where this gateway stands among those sharing the tenants' budgets, and
/// its share of the global caps.
boost::json::object instance_json(const tds_pool::instance_caps& caps) {
    boost::json::object out;
    out["id"] = caps.cluster.instance_id;
    out["instances"] = caps.cluster.instances;
    out["maxTotalConnections"] = caps.max_total_connections;
    out["maxConnectionsPerHost"] = caps.max_connections_per_host;
    out["maxOpeningTotal"] = caps.max_opening_total;
    out["opening"] = caps.opening_total;
    return out;
}

boost::json::object registry_json(const health_inputs& in) {
    boost::json::object out;
    out["source"] = in.registry_status.source;
    out["servedFrom"] = in.registry_status.served_from;
    out["tenants"] = in.registry_status.tenants;
    out["invalidRows"] = in.registry ? in.registry->invalid_rows() : 0;
    const bool loaded =
        in.registry && in.registry->loaded_at != std::chrono::system_clock::time_point{};
    out["loaded"] = loaded;
    if (loaded) {
        out["lastRefresh"] = iso8601(in.registry->loaded_at);
        out["ageSeconds"] = in.registry_status.age.count();
    } else {
        out["lastRefresh"] = nullptr;
        out["ageSeconds"] = nullptr;
    }
    out["stale"] = in.registry_status.stale;
    out["lookups"] = in.registry_status.lookups;
    out["lookupsRateLimited"] = in.registry_status.lookups_limited;
    if (in.registry_status.last_error.empty()) {
        out["lastError"] = nullptr;
    } else {
        out["lastError"] = in.registry_status.last_error;
    }
    return out;
}

}  // namespace

std::string iso8601(std::chrono::system_clock::time_point t) {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
    return fmt::format("{:%FT%T}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                       millis);
}

std::string latency_text(std::chrono::microseconds latency) {
    return fmt::format("{}ms", std::max<long long>(0, latency.count() / 1000));
}

boost::json::object health_report(const health_inputs& in,
                                  const std::optional<std::string>& only_tenant) {
    boost::json::object body;
    body["status"] = "ok";  // the gateway answers; tenant outages are listed per tenant
    body["activePools"] = in.active_pools;
    boost::json::array tenants;
    std::size_t up = 0, down = 0, elsewhere = 0;
    if (in.registry) {
        for (const auto& [code, tenant] : in.registry->tenants) {
            if (!tenant.active) continue;
            if (only_tenant && code != *only_tenant) continue;
            auto entry = tenant_json(tenant, in);
            if (entry["connected"].is_null()) {
                ++elsewhere;
            } else {
                (entry["connected"].as_bool() ? up : down) += 1;
            }
            tenants.push_back(std::move(entry));
        }
    }
    body["tenantsUp"] = up;
    body["tenantsDown"] = down;
    body["tenantsElsewhere"] = elsewhere;
    body["tenants"] = std::move(tenants);
    body["registry"] = registry_json(in);
    body["instance"] = instance_json(in.caps);
    body["time"] = iso8601(in.now);
    return body;
}

}  // namespace gateway
