#pragma once
// Background health probes of every active tenant: each probe_interval a round runs
// `SELECT 1` on a pooled connection of each tenant, at most `max_concurrent` tenants at a
// time, each bounded by probe_timeout. Results are cached here, so /health and /metrics
// answer from memory and never wait for a tenant database.
//
// A lone instance probes every tenant (pool_manager::probe creates the tenant's pool on
// first use and keeps it). An instance of a cluster probes only the tenants it holds a
// live pool of (pool_manager::probe_live), without keeping that pool open: with tenant
// affinity at the balancer each tenant's database is probed by the instance that serves
// it, and the others neither open connections for probes nor report it as down.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "conf/config.hpp"
#include "tds_pool/registry/registry_record.hpp"

namespace tds_pool {
class pool_manager;
class tenant_registry;
class credential_store;
}  // namespace tds_pool

namespace gateway {

namespace asio = boost::asio;

/// The last probe of one tenant.
struct probe_result {
    bool ok = false;
    std::optional<std::chrono::microseconds> latency;  ///< set when ok
    std::chrono::system_clock::time_point checked_at{};
    std::string error;  ///< "code: message" without secrets, when !ok
    /// Not probed here: this cluster instance holds no pool of the tenant (another
    /// instance serves it, or no request came here yet). ok is false, error empty.
    bool elsewhere = false;
};

/// Probe timing and concurrency (health.probe_interval, probe_timeout, probe_concurrency).
struct probe_settings {
    std::chrono::milliseconds interval{10000};
    std::chrono::milliseconds timeout{2000};
    std::size_t max_concurrent = 4;
};

/// Runs probe rounds on an executor and keeps the latest result per tenant.
class probe_scheduler {
public:
    /// The referenced objects must outlive the scheduler's loop (see stop()). A result's
    /// checked_at is read from `wall_clock`.
    probe_scheduler(tds_pool::pool_manager& pools, tds_pool::tenant_registry& registry,
                    tds_pool::credential_store& secrets, probe_settings settings,
                    std::function<std::chrono::system_clock::time_point()> wall_clock =
                        std::chrono::system_clock::now);
    ~probe_scheduler();
    probe_scheduler(const probe_scheduler&) = delete;
    probe_scheduler& operator=(const probe_scheduler&) = delete;

    /// Starts the rounds on `executor` (the first one at once).
    void start(asio::any_io_executor executor);
    /// Ends the loop after the running round; cached results stay readable.
    void stop() noexcept;
    /// New timing for the next rounds (configuration reload).
    void update(probe_settings settings);

    /// The cached result of every tenant probed so far.
    std::map<std::string, probe_result> results() const;
    /// Completed rounds, for tests and logs.
    std::uint64_t rounds() const noexcept { return rounds_.load(); }

private:
    struct round;
    friend asio::awaitable<void> probe_loop(probe_scheduler* self, asio::any_io_executor executor,
                                            std::shared_ptr<std::atomic<bool>> running);
    friend asio::awaitable<void> probe_worker(probe_scheduler* self, std::shared_ptr<round> r);

    asio::awaitable<void> run_round(asio::any_io_executor executor);
    asio::awaitable<void> probe_one(tds_pool::tenant_record tenant);
    /// The probe of a resolved target: every tenant alone, live pools only in a cluster.
    asio::awaitable<probe_result> probe_target_of(std::string code, tds_pool::connection_target where,
                                                  std::chrono::milliseconds timeout);
    void store(const std::string& code, probe_result result);
    probe_settings settings() const;

    tds_pool::pool_manager& pools_;
    tds_pool::tenant_registry& registry_;
    tds_pool::credential_store& secrets_;
    const std::function<std::chrono::system_clock::time_point()> wall_clock_;

    mutable std::mutex mutex_;  // guards settings_ and results_; never held across I/O
    probe_settings settings_;
    std::map<std::string, probe_result> results_;
    std::shared_ptr<std::atomic<bool>> running_;
    std::atomic<std::uint64_t> rounds_{0};
};

/// Settings from the `health:` section.
probe_settings probe_settings_from(const conf::health_config& health);

}  // namespace gateway
