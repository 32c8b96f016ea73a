#pragma once
// Everything the gateway keeps about tenant databases, with one owner: the tenant
// registry, the per-tenant pools, the health probes over them, the credential store,
// the login limiter (and its Redis store when shared), the dummy hashes, the response
// budget and the threads that verify password hashes (deliberately slow, so never on
// HTTP threads). The server creates it
// and passes it by reference to the SQL and login handlers, the monitoring endpoints and
// the admin endpoints. One failure policy: an unreachable registry is never fatal; it is
// logged, /readyz answers 503 until a snapshot is loaded, and the registry retries in
// the background. A reload applies every reloadable setting to these same objects.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "gateway/auth/login_dummy.hpp"
#include "gateway/auth/login_limiter.hpp"
#include "gateway/auth/shared_login_store.hpp"
#include "gateway/sql/probe_scheduler.hpp"
#include "gateway/sql/response_budget.hpp"
#include "tds_pool/credentials.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/registry/registry_client.hpp"

namespace gateway {

/// What a reload changes in the backend that takes work or may fail, made before
/// anything is applied (tenant_backend::prepare).
struct backend_reload {
    std::unique_ptr<tds_pool::registry_source> registry_source;  ///< the new configuration's
    made_dummy fallback_dummy;  ///< from auth.dummy_hash_scheme and _cost
    /// A store for changed auth.login_limit.shared settings (null: none any more);
    /// nullopt: unchanged, the current store stays.
    std::optional<std::shared_ptr<shared_login_store>> shared_logins;
};

/// Registry, pools, probes and the login machinery; thread-safe. Destroy before the
/// io_context it runs on (its timers and strands live there).
class tenant_backend {
public:
    /// Builds every part from `config` on `ioc`; does no I/O.
    tenant_backend(asio::io_context& ioc, const conf::config& config);
    /// Stops the probes and the registry's refresh, drains the pools and joins the threads.
    ~tenant_backend();
    tenant_backend(const tenant_backend&) = delete;
    tenant_backend& operator=(const tenant_backend&) = delete;

    /// Loads the registry once (blocking; from its source, else the snapshot file; a
    /// failure is logged, never fatal), then starts its refresh and the probes.
    void start();

    /// Builds what applying `next` needs (a new registry source, the fallback dummy).
    backend_reload prepare(const conf::config& next) const;
    /// Applies `next`, prepared by prepare(): pool settings, registry source and
    /// refresh, probe timing, login limits, fallback dummy, response budget. The registry
    /// is re-read in the background. Never throws.
    void apply(const conf::config& next, backend_reload prepared);

    /// True once a registry snapshot is loaded (from the source, a refresh or the file).
    bool registry_loaded() const;

    tds_pool::tenant_registry& registry() noexcept { return registry_; }
    tds_pool::pool_manager& pools() noexcept { return pools_; }
    tds_pool::credential_store& secrets() noexcept { return *secrets_; }
    const probe_scheduler& probes() const noexcept { return probes_; }
    login_limiter& limiter() noexcept { return limiter_; }
    /// The Redis store of the login limits shared by every instance; null when
    /// auth.login_limit.shared is not configured.
    std::shared_ptr<shared_login_store> shared_logins() const;
    /// Why shared login decisions fell back to the local limiter, since start.
    const shared_login_stats& shared_login_fallbacks() const noexcept { return *shared_stats_; }
    /// The hashes verified for unknown users, per tenant and hash scheme.
    dummy_hashes& dummies() noexcept { return dummies_; }
    /// Threads that run password hashing.
    asio::thread_pool& hash_workers() noexcept { return hash_workers_; }
    /// Bytes held by SQL response bodies, process-wide (limits.max_inflight_response_bytes).
    const std::shared_ptr<response_budget>& responses() const noexcept { return responses_; }
    /// Host patterns that classify a tenant's hosting location (a copy: reloads change it).
    conf::hosting_config hosting() const { return registry_.config().hosting; }

private:
    /// Swaps in the store prepared for a reload, if any, and gives it the new budgets.
    void apply_shared_logins(const conf::login_limit_config& limits,
                             std::optional<std::shared_ptr<shared_login_store>> replacement);

    asio::io_context& ioc_;
    std::shared_ptr<tds_pool::credential_store> secrets_;
    tds_pool::tenant_registry registry_;
    tds_pool::pool_manager pools_;
    probe_scheduler probes_;
    login_limiter limiter_;
    std::shared_ptr<shared_login_stats> shared_stats_ = std::make_shared<shared_login_stats>();
    mutable std::mutex shared_mutex_;
    std::shared_ptr<shared_login_store> shared_logins_;  ///< guarded by shared_mutex_
    dummy_hashes dummies_;
    std::shared_ptr<response_budget> responses_ = std::make_shared<response_budget>();
    // Last: joined first, so no hash job outlives the dummies it fills.
    asio::thread_pool hash_workers_{2};
};

}  // namespace gateway
