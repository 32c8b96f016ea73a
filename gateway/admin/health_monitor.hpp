#pragma once
// What the monitoring endpoints (/health, /readyz, /metrics, /dashboard) read: request
// counters, the tenant backend, whether the listener is up, and extra
// metrics collectors other parts of the gateway register.

#include <atomic>
#include <mutex>
#include <vector>

#include "gateway/telemetry/metrics_registry.hpp"
#include "gateway/admin/metrics_render.hpp"

namespace gateway {

class tenant_backend;

/// Shared by every session; outlives the io_context (sessions count into `metrics`).
struct health_monitor {
    metrics_registry metrics;
    /// Set by the server when it is built, before any connection is accepted.
    std::atomic<tenant_backend*> backend{nullptr};
    /// The listener accepts connections.
    std::atomic<bool> listening{false};

    /// Adds families to every scrape (e.g. the proxy's upstream statistics). The
    /// collector runs on the scraping thread and must be thread-safe.
    void add_collector(metrics_collector collector) {
        std::lock_guard lock(collectors_mutex_);
        collectors_.push_back(std::move(collector));
    }
    /// The registered collectors.
    std::vector<metrics_collector> collectors() const {
        std::lock_guard lock(collectors_mutex_);
        return collectors_;
    }

private:
    mutable std::mutex collectors_mutex_;
    std::vector<metrics_collector> collectors_;
};

}  // namespace gateway
