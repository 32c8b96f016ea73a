#include "gateway/admin/metrics_render.hpp"

#include <fmt/format.h>

#include "tds_pool/freetds/inline_io_guard.hpp"
#include "tds_pool/registry/hosting.hpp"

namespace gateway {

namespace {

/// A pool snapshot summed over every pool that shares one tenant label (a live and a
/// draining pool of one tenant, or every tenant beyond the label cap).
struct pool_totals {
    std::size_t idle = 0, busy = 0, opening = 0, resetting = 0, waiters = 0, max_size = 0;
    std::uint64_t opens = 0, open_failures = 0, acquire_timeouts = 0, query_timeouts = 0;
    std::uint64_t resets = 0, clean_returns = 0;
    std::map<std::string, std::uint64_t> closes, errors, discards, tls_failures;
    tds_pool::histogram_snapshot acquire_wait, query_time;
};

void add_histogram(tds_pool::histogram_snapshot& into, const tds_pool::histogram_snapshot& h) {
    if (into.upper_bounds.empty()) {
        into = h;
        return;
    }
    for (std::size_t i = 0; i < into.cumulative_counts.size() && i < h.cumulative_counts.size();
         ++i) {
        into.cumulative_counts[i] += h.cumulative_counts[i];
    }
    into.count += h.count;
    into.sum_seconds += h.sum_seconds;
}

void add_pool(pool_totals& t, const tds_pool::pool_snapshot& p) {
    t.idle += p.idle;
    t.busy += p.busy;
    t.opening += p.opening;
    t.resetting += p.resetting;
    t.waiters += p.waiters;
    if (!p.draining) t.max_size += p.max_size;
    t.opens += p.opens;
    t.open_failures += p.open_failures;
    t.acquire_timeouts += p.acquire_timeouts;
    t.query_timeouts += p.query_timeouts;
    for (const auto& [reason, n] : p.closes_by_reason) t.closes[reason] += n;
    t.resets += p.session_resets;
    t.clean_returns += p.clean_returns;
    for (const auto& [reason, n] : p.discards_by_reason) t.discards[reason] += n;
    for (const auto& [code, n] : p.errors_by_code) t.errors[code] += n;
    for (const auto& [reason, n] : p.tls_failures_by_reason) t.tls_failures[reason] += n;
    add_histogram(t.acquire_wait, p.acquire_wait);
    add_histogram(t.query_time, p.query_time);
}

std::vector<double> request_bounds() {
    return {request_buckets.begin(), request_buckets.end()};
}

std::vector<std::uint64_t> cumulative(const bucket_counts& b) {
    std::vector<std::uint64_t> out;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < request_buckets.size(); ++i) {
        running += b.buckets[i];
        out.push_back(running);
    }
    return out;
}

void write_requests(metrics_writer& w, const metrics_inputs& in) {
    w.family("tenant_gateway_http_requests_total",
             "HTTP requests answered, by tenant, route, method and status class.", "counter");
    for (const auto& [key, n] : in.requests.requests) {
        w.sample("tenant_gateway_http_requests_total",
                 {{"tenant", key.tenant}, {"route", key.route}, {"method", key.method},
                  {"status_class", key.status_class}},
                 static_cast<double>(n));
    }
    w.family("tenant_gateway_http_request_duration_seconds",
             "Time from the complete request header to the response ready to send, by route "
             "and method.",
             "histogram");
    const auto bounds = request_bounds();
    for (const auto& [key, hist] : in.requests.durations) {
        w.histogram("tenant_gateway_http_request_duration_seconds",
                    {{"route", key.first}, {"method", key.second}}, bounds, cumulative(hist),
                    hist.count, hist.sum_seconds);
    }
    w.family("tenant_gateway_rate_limited_total",
             "Requests refused by the tenant limits, by tenant and reason (rate, user, concurrency).",
             "counter");
    for (const auto& [key, n] : in.requests.rate_limited) {
        w.sample("tenant_gateway_rate_limited_total", {{"tenant", key.first}, {"reason", key.second}},
                 static_cast<double>(n));
    }
    w.family("tenant_gateway_http_requests_in_flight", "HTTP requests being served now.",
             "gauge");
    w.sample("tenant_gateway_http_requests_in_flight", {}, static_cast<double>(in.in_flight));
}

void write_pool_gauges(metrics_writer& w, const std::map<std::string, pool_totals>& pools) {
    w.family("tenant_gateway_pool_connections", "Pooled database connections by state.",
             "gauge");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_connections", {{"tenant", tenant}, {"state", "idle"}},
                 static_cast<double>(t.idle));
        w.sample("tenant_gateway_pool_connections", {{"tenant", tenant}, {"state", "busy"}},
                 static_cast<double>(t.busy));
        w.sample("tenant_gateway_pool_connections", {{"tenant", tenant}, {"state", "opening"}},
                 static_cast<double>(t.opening));
        w.sample("tenant_gateway_pool_connections", {{"tenant", tenant}, {"state", "resetting"}},
                 static_cast<double>(t.resetting));
    }
    w.family("tenant_gateway_pool_max_connections", "Upper bound of a tenant's pool.", "gauge");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_max_connections", {{"tenant", tenant}},
                 static_cast<double>(t.max_size));
    }
    w.family("tenant_gateway_pool_waiters", "Requests waiting for a pooled connection.",
             "gauge");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_waiters", {{"tenant", tenant}},
                 static_cast<double>(t.waiters));
    }
}

void write_pool_counters(metrics_writer& w, const std::map<std::string, pool_totals>& pools) {
    w.family("tenant_gateway_pool_connections_opened_total", "Database connections opened.",
             "counter");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_connections_opened_total", {{"tenant", tenant}},
                 static_cast<double>(t.opens));
    }
    w.family("tenant_gateway_pool_connection_open_failures_total",
             "Failed attempts to open a database connection.", "counter");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_connection_open_failures_total", {{"tenant", tenant}},
                 static_cast<double>(t.open_failures));
    }
    w.family("tenant_gateway_pool_connections_closed_total",
             "Database connections closed, by reason.", "counter");
    for (const auto& [tenant, t] : pools) {
        for (const auto& [reason, n] : t.closes) {
            w.sample("tenant_gateway_pool_connections_closed_total",
                     {{"tenant", tenant}, {"reason", reason}}, static_cast<double>(n));
        }
    }
    w.family("tenant_gateway_pool_acquire_timeouts_total",
             "Requests that found no free connection before their deadline.", "counter");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_acquire_timeouts_total", {{"tenant", tenant}},
                 static_cast<double>(t.acquire_timeouts));
    }
    w.family("tenant_gateway_pool_query_timeouts_total", "Queries cancelled by their time-out.",
             "counter");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_query_timeouts_total", {{"tenant", tenant}},
                 static_cast<double>(t.query_timeouts));
    }
    w.family("tenant_gateway_pool_errors_total", "Database operations that failed, by code.",
             "counter");
    for (const auto& [tenant, t] : pools) {
        for (const auto& [code, n] : t.errors) {
            w.sample("tenant_gateway_pool_errors_total", {{"tenant", tenant}, {"code", code}},
                     static_cast<double>(n));
        }
    }
}

void write_pool_session_counters(metrics_writer& w, const std::map<std::string, pool_totals>& pools) {
    w.family("tenant_gateway_pool_connection_resets_total",
             "Leased connections whose session was reset and reused.", "counter");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_connection_resets_total", {{"tenant", tenant}},
                 static_cast<double>(t.resets));
    }
    w.family("tenant_gateway_pool_connection_clean_returns_total",
             "Leased connections reused without a reset: nothing they ran can change session state.",
             "counter");
    for (const auto& [tenant, t] : pools) {
        w.sample("tenant_gateway_pool_connection_clean_returns_total", {{"tenant", tenant}},
                 static_cast<double>(t.clean_returns));
    }
    w.family("tenant_gateway_pool_connections_discarded_total",
             "Leased connections closed instead of reused, by reason.", "counter");
    for (const auto& [tenant, t] : pools) {
        for (const auto& [reason, n] : t.discards) {
            w.sample("tenant_gateway_pool_connections_discarded_total",
                     {{"tenant", tenant}, {"reason", reason}}, static_cast<double>(n));
        }
    }
    w.family("tenant_gateway_tls_failures_total",
             "Connection opens refused for TLS, by reason (not_offered, certificate_expired, "
             "unknown_ca, name_mismatch, certificate_not_yet_valid, certificate_invalid, "
             "handshake_failed).",
             "counter");
    for (const auto& [tenant, t] : pools) {
        for (const auto& [reason, n] : t.tls_failures) {
            w.sample("tenant_gateway_tls_failures_total", {{"tenant", tenant}, {"reason", reason}},
                     static_cast<double>(n));
        }
    }
}

void write_pool_histograms(metrics_writer& w, const std::map<std::string, pool_totals>& pools) {
    w.family("tenant_gateway_pool_acquire_duration_seconds",
             "Time spent waiting for a pooled connection.", "histogram");
    for (const auto& [tenant, t] : pools) {
        const auto& h = t.acquire_wait;
        w.histogram("tenant_gateway_pool_acquire_duration_seconds", {{"tenant", tenant}},
                    h.upper_bounds, h.cumulative_counts, h.count, h.sum_seconds);
    }
    w.family("tenant_gateway_query_duration_seconds", "Time a query ran on the database.",
             "histogram");
    for (const auto& [tenant, t] : pools) {
        const auto& h = t.query_time;
        w.histogram("tenant_gateway_query_duration_seconds", {{"tenant", tenant}}, h.upper_bounds,
                    h.cumulative_counts, h.count, h.sum_seconds);
    }
}

void write_pools(metrics_writer& w, const tenant_metrics_inputs& in, metrics_registry& labels) {
    w.family("tenant_gateway_pools_active", "Tenant pools serving requests (draining excluded).",
             "gauge");
    w.sample("tenant_gateway_pools_active", {}, static_cast<double>(in.active_pools));
    std::map<std::string, pool_totals> pools;
    for (const auto& p : in.pools) add_pool(pools[labels.tenant_label(p.tenant)], p);
    write_pool_gauges(w, pools);
    write_pool_counters(w, pools);
    write_pool_session_counters(w, pools);
    write_pool_histograms(w, pools);
    // Breaker state as a state set: 1 for the current state. Tenants beyond the label
    // cap are not shown one by one (their sum would mean nothing).
    w.family("tenant_gateway_breaker_state",
             "Circuit breaker of a tenant's pool: 1 for its current state.", "gauge");
    for (const auto& p : in.pools) {
        if (p.draining) continue;
        const auto label = labels.tenant_label(p.tenant);
        if (label != p.tenant) continue;
        for (const std::string_view state : {"closed", "open", "half_open"}) {
            w.sample("tenant_gateway_breaker_state", {{"tenant", label}, {"state", state}},
                     p.breaker_state == state ? 1.0 : 0.0);
        }
    }
}

void write_tenants(metrics_writer& w, const tenant_metrics_inputs& in, metrics_registry& labels) {
    std::map<std::string, std::size_t> by_hosting;
    std::size_t up = 0, down = 0, unknown = 0, misconfigured = 0, elsewhere = 0;
    w.family("tenant_gateway_tenant_up",
             "1 when the last health probe of the tenant's database succeeded, else 0.", "gauge");
    std::vector<std::pair<std::string, const probe_result*>> probed;
    if (in.registry) {
        for (const auto& [code, tenant] : in.registry->tenants) {
            if (!tenant.active) continue;
            if (!tenant.problem.empty()) {
                ++misconfigured;
                continue;
            }
            ++by_hosting[std::string(tds_pool::hosting_label(tenant.server, in.hosting))];
            const auto it = in.probes.find(code);
            if (it == in.probes.end()) {
                ++unknown;
                continue;
            }
            if (it->second.elsewhere) {
                ++elsewhere;  // probed by the cluster instance that serves it
                continue;
            }
            (it->second.ok ? up : down) += 1;
            const auto label = labels.tenant_label(code);
            if (label != code) continue;
            w.sample("tenant_gateway_tenant_up", {{"tenant", label}}, it->second.ok ? 1.0 : 0.0);
            probed.emplace_back(label, &it->second);
        }
    }
    w.family("tenant_gateway_tenant_probe_latency_seconds",
             "Round trip of the last successful health probe.", "gauge");
    for (const auto& [label, probe] : probed) {
        if (!probe->ok || !probe->latency) continue;
        w.sample("tenant_gateway_tenant_probe_latency_seconds", {{"tenant", label}},
                 std::chrono::duration<double>(*probe->latency).count());
    }
    w.family("tenant_gateway_tenant_last_probe_timestamp_seconds",
             "Unix time of the tenant's last health probe.", "gauge");
    for (const auto& [label, probe] : probed) {
        w.sample("tenant_gateway_tenant_last_probe_timestamp_seconds", {{"tenant", label}},
                 std::chrono::duration<double>(probe->checked_at.time_since_epoch()).count());
    }
    w.family("tenant_gateway_tenants", "Active tenants by the state of their last probe.",
             "gauge");
    w.sample("tenant_gateway_tenants", {{"state", "up"}}, static_cast<double>(up));
    w.sample("tenant_gateway_tenants", {{"state", "down"}}, static_cast<double>(down));
    w.sample("tenant_gateway_tenants", {{"state", "unknown"}}, static_cast<double>(unknown));
    w.sample("tenant_gateway_tenants", {{"state", "misconfigured"}}, static_cast<double>(misconfigured));
    w.sample("tenant_gateway_tenants", {{"state", "elsewhere"}}, static_cast<double>(elsewhere));
    w.family("tenant_gateway_tenants_by_hosting", "Active tenants by hosting location.",
             "gauge");
    for (const auto& [hosting, n] : by_hosting) {
        w.sample("tenant_gateway_tenants_by_hosting", {{"hosting", hosting}},
                 static_cast<double>(n));
    }
}

void write_registry(metrics_writer& w, const tenant_metrics_inputs& in) {
    const auto& status = in.registry_status;
    const bool loaded =
        in.registry && in.registry->loaded_at != std::chrono::system_clock::time_point{};
    w.family("tenant_gateway_registry_loaded", "1 once the tenant registry has been loaded.",
             "gauge");
    w.sample("tenant_gateway_registry_loaded", {{"source", status.source}}, loaded ? 1 : 0);
    w.family("tenant_gateway_registry_snapshot_source",
             "1 for where the served registry snapshot came from (none, yaml, tds, disk).",
             "gauge");
    for (const char* from : {"none", "yaml", "tds", "disk"}) {
        w.sample("tenant_gateway_registry_snapshot_source", {{"source", from}},
                 status.served_from == from ? 1 : 0);
    }
    w.family("tenant_gateway_registry_tenants", "Tenants in the registry snapshot.", "gauge");
    w.sample("tenant_gateway_registry_tenants", {}, static_cast<double>(status.tenants));
    w.family("tenant_gateway_registry_invalid_rows",
             "Registry rows not served because a column is invalid (logged with the reason).",
             "gauge");
    w.sample("tenant_gateway_registry_invalid_rows", {},
             in.registry ? static_cast<double>(in.registry->invalid_rows()) : 0.0);
    w.family("tenant_gateway_registry_stale",
             "1 when the last registry refresh failed and an older snapshot serves.", "gauge");
    w.sample("tenant_gateway_registry_stale", {}, status.stale ? 1 : 0);
    if (loaded) {
        w.family("tenant_gateway_registry_last_success_timestamp_seconds",
                 "Unix time of the last successful registry load.", "gauge");
        w.sample("tenant_gateway_registry_last_success_timestamp_seconds", {},
                 std::chrono::duration<double>(in.registry->loaded_at.time_since_epoch()).count());
        w.family("tenant_gateway_registry_age_seconds",
                 "Seconds since the registry was last loaded successfully.", "gauge");
        w.sample("tenant_gateway_registry_age_seconds", {},
                 static_cast<double>(status.age.count()));
    }
    w.family("tenant_gateway_registry_refreshes_total",
             "Registry loads and refreshes since start, by result.", "counter");
    w.sample("tenant_gateway_registry_refreshes_total", {{"result", "success"}},
             static_cast<double>(status.loads_ok));
    w.sample("tenant_gateway_registry_refreshes_total", {{"result", "failure"}},
             static_cast<double>(status.loads_failed));
    w.family("tenant_gateway_registry_change_checks_total",
             "Cheap registry change checks (registry.change_poll_interval), by answer: unchanged, "
             "changed (a full load followed) or failed.", "counter");
    w.sample("tenant_gateway_registry_change_checks_total", {{"result", "unchanged"}},
             static_cast<double>(status.checks_unchanged));
    w.sample("tenant_gateway_registry_change_checks_total", {{"result", "changed"}},
             static_cast<double>(status.checks_changed));
    w.sample("tenant_gateway_registry_change_checks_total", {{"result", "failed"}},
             static_cast<double>(status.checks_failed));
    w.family("tenant_gateway_registry_lookups_total",
             "On-demand look-ups of codes missing from the snapshot, by outcome: sent to the "
             "registry, or answered not found by the rate limit.", "counter");
    w.sample("tenant_gateway_registry_lookups_total", {{"result", "queried"}},
             static_cast<double>(status.lookups));
    w.sample("tenant_gateway_registry_lookups_total", {{"result", "rate_limited"}},
             static_cast<double>(status.lookups_limited));
    w.family("tenant_gateway_registry_negative_cached",
             "Unknown company codes remembered as misses.", "gauge");
    w.sample("tenant_gateway_registry_negative_cached", {},
             static_cast<double>(status.negative_cached));
}

void write_process(metrics_writer& w, const metrics_inputs& in) {
    w.family("tenant_gateway_uptime_seconds", "Seconds since the gateway started.", "gauge");
    w.sample("tenant_gateway_uptime_seconds", {}, in.uptime_seconds);
    w.family("tenant_gateway_process_start_time_seconds", "Unix time the gateway started.",
             "gauge");
    w.sample("tenant_gateway_process_start_time_seconds", {}, in.start_time_seconds);
    if (in.process.resident_bytes) {
        w.family("tenant_gateway_process_resident_memory_bytes", "Resident memory size.",
                 "gauge");
        w.sample("tenant_gateway_process_resident_memory_bytes", {},
                 static_cast<double>(*in.process.resident_bytes));
    }
    if (in.process.open_fds) {
        w.family("tenant_gateway_process_open_fds", "Open file descriptors.", "gauge");
        w.sample("tenant_gateway_process_open_fds", {},
                 static_cast<double>(*in.process.open_fds));
    }
    if (in.process.max_fds) {
        w.family("tenant_gateway_process_max_fds", "Limit on open file descriptors.", "gauge");
        w.sample("tenant_gateway_process_max_fds", {}, static_cast<double>(*in.process.max_fds));
    }
}

/// Where this instance stands in the cluster and its share of the global caps.
void write_instance(metrics_writer& w, const tds_pool::instance_caps& caps) {
    w.family("tenant_gateway_cluster_instances",
             "Gateway instances sharing every tenant's connection limit (cluster.instances).", "gauge");
    w.sample("tenant_gateway_cluster_instances", {}, static_cast<double>(caps.cluster.instances));
    w.family("tenant_gateway_cluster_instance_id", "This instance's index (cluster.instance_id).",
             "gauge");
    w.sample("tenant_gateway_cluster_instance_id", {}, static_cast<double>(caps.cluster.instance_id));
    w.family("tenant_gateway_pool_max_total_connections",
             "This instance's share of pools.max_total_connections.", "gauge");
    w.sample("tenant_gateway_pool_max_total_connections", {},
             static_cast<double>(caps.max_total_connections));
    w.family("tenant_gateway_pool_max_connections_per_host",
             "This instance's share of pools.max_connections_per_host.", "gauge");
    w.sample("tenant_gateway_pool_max_connections_per_host", {},
             static_cast<double>(caps.max_connections_per_host));
    w.family("tenant_gateway_pool_max_opening_connections",
             "Connections this instance may open at once, all pools (pools.max_opening_total).",
             "gauge");
    w.sample("tenant_gateway_pool_max_opening_connections", {}, static_cast<double>(caps.max_opening_total));
    w.family("tenant_gateway_pool_opening_connections", "Connections being opened now, all pools.", "gauge");
    w.sample("tenant_gateway_pool_opening_connections", {}, static_cast<double>(caps.opening_total));
    w.family("tenant_gateway_pool_inline_reads_cut_total",
             "Replies read on an event loop that kept db-lib waiting or busy past its limit, so the "
             "connection was cut (a tenant database whose tokens do not end where its framing does; "
             "the warning line names the tenant).",
             "counter");
    w.sample("tenant_gateway_pool_inline_reads_cut_total", {}, static_cast<double>(tds_pool::inline_reads_cut()));
}

}  // namespace

std::string render_metrics(const metrics_inputs& in, metrics_registry& labels) {
    metrics_writer w;
    write_requests(w, in);
    if (in.tenants) {
        write_pools(w, *in.tenants, labels);
        write_tenants(w, *in.tenants, labels);
        write_registry(w, *in.tenants);
        write_instance(w, in.tenants->caps);
    }
    write_process(w, in);
    for (const auto& collect : in.collectors) collect(w);
    return w.take();
}

}  // namespace gateway
