#include "gateway/proxy/upstream_metrics.hpp"

#include <string>
#include <utility>
#include <vector>

namespace gateway {
namespace {

using server_rows = std::vector<std::pair<std::string, upstream_server_stats>>;

/// One row per server of every upstream, read once so all families agree.
server_rows collect(const upstream_registry& upstreams) {
    server_rows rows;
    for (const auto& pool : upstreams.pools()) {
        for (auto& server : pool->stats()) rows.emplace_back(pool->name(), std::move(server));
    }
    return rows;
}

metric_labels server_labels(const std::string& upstream, const upstream_server_stats& server) {
    return {{"upstream", upstream}, {"server", server.url}};
}

void write_counters(metrics_writer& w, const server_rows& rows) {
    w.family("tenant_gateway_upstream_requests_total",
             "Proxied exchanges with an upstream server, answered or failed.", "counter");
    for (const auto& [upstream, server] : rows) {
        w.sample("tenant_gateway_upstream_requests_total", server_labels(upstream, server),
                 static_cast<double>(server.answered + server.failed));
    }
    w.family("tenant_gateway_upstream_errors_total",
             "Proxied exchanges that failed: refused, reset or timed out.", "counter");
    for (const auto& [upstream, server] : rows) {
        w.sample("tenant_gateway_upstream_errors_total", server_labels(upstream, server),
                 static_cast<double>(server.failed));
    }
}

void write_gauges(metrics_writer& w, const server_rows& rows) {
    w.family("tenant_gateway_upstream_server_up",
             "1 while the server is in rotation (health checks and passive failures).", "gauge");
    for (const auto& [upstream, server] : rows) {
        w.sample("tenant_gateway_upstream_server_up", server_labels(upstream, server),
                 server.up ? 1.0 : 0.0);
    }
    w.family("tenant_gateway_upstream_in_flight", "Exchanges in progress per server.", "gauge");
    for (const auto& [upstream, server] : rows) {
        w.sample("tenant_gateway_upstream_in_flight", server_labels(upstream, server),
                 static_cast<double>(server.in_flight));
    }
    w.family("tenant_gateway_upstream_connections",
             "Open keep-alive connections to each server, by state.", "gauge");
    for (const auto& [upstream, server] : rows) {
        auto labels = server_labels(upstream, server);
        labels.push_back({"state", "idle"});
        w.sample("tenant_gateway_upstream_connections", labels, static_cast<double>(server.idle));
        labels.back() = {"state", "in_use"};
        w.sample("tenant_gateway_upstream_connections", labels,
                 static_cast<double>(server.connections - server.idle));
    }
}

}  // namespace

void write_upstream_metrics(metrics_writer& writer, const upstream_registry& upstreams) {
    const auto rows = collect(upstreams);
    write_counters(writer, rows);
    write_gauges(writer, rows);
}

}  // namespace gateway
