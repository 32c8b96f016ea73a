#pragma once
// Global caps shared by every tenant's pool: total connections of the process
// (max_total_connections) and connections per database host (max_connections_per_host),
// so many tenants on one SQL Server cannot exhaust it.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace tds_pool {

/// Counts reserved connections globally and per host.
class connection_budget {
public:
    /// Caps of zero mean "no limit".
    connection_budget(std::size_t max_total, std::size_t max_per_host);

    /// Reserves one connection to `host`; false when a cap is reached.
    bool try_reserve(const std::string& host);
    /// New caps (configuration reload); reservations above a lowered cap stay until
    /// released, new ones wait until the count is under it.
    void set_caps(std::size_t max_total, std::size_t max_per_host);
    /// Returns a reservation made by try_reserve.
    void release(const std::string& host);
    /// Connections reserved in total.
    std::size_t total() const;
    /// True when a reservation was refused within the last `window`: pools then give
    /// back idle connections so a tenant that cannot open one is not starved.
    bool under_pressure(std::chrono::milliseconds window = std::chrono::milliseconds(2000)) const;

private:
    mutable std::mutex mutex_;
    std::size_t max_total_;
    std::size_t max_per_host_;
    std::size_t total_ = 0;
    std::map<std::string, std::size_t> per_host_;
    std::atomic<std::int64_t> last_refusal_ns_{0};
};

}  // namespace tds_pool
