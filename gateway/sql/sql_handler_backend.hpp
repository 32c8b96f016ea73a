#pragma once
// The long-lived objects behind SQL and login routes: the tenant registry, the
// per-tenant pools, credential references, the login limiter and the threads that
// verify password hashes (deliberately slow, so never on HTTP threads). Built once from
// the first configuration; registry, pools and the login limiter apply at start-up (a
// reload re-reads the registry but keeps these objects). The token keys are not here:
// they belong to each loaded configuration (runtime_state::tokens), so a reload swaps them.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/auth/login_dummy.hpp"
#include "gateway/auth/login_limiter.hpp"
#include "gateway/sql/response_budget.hpp"
#include "tds_pool/credentials.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/registry/registry_client.hpp"

namespace gateway {

/// Shared state of the database-backed handlers; thread-safe.
class db_backend {
public:
    /// Loads the registry (from its source, else from the snapshot file; a failure is
    /// logged, never fatal) and prepares pools on `ioc`; starts the registry refresh,
    /// which retries with backoff until a load succeeds.
    db_backend(const conf::config& config, asio::io_context& ioc);
    ~db_backend();
    db_backend(const db_backend&) = delete;
    db_backend& operator=(const db_backend&) = delete;

    tds_pool::tenant_registry& registry() noexcept { return *registry_; }
    tds_pool::pool_manager& pools() noexcept { return *pools_; }
    tds_pool::credential_store& secrets() noexcept { return *secrets_; }
    login_limiter& limiter() noexcept { return limiter_; }
    /// Threads that run password hashing.
    asio::thread_pool& hash_workers() noexcept { return hash_workers_; }
    /// The settings the backend was built with.
    const conf::config& config() const noexcept { return config_; }

    /// The hashes verified for unknown users, per tenant and hash scheme.
    dummy_hashes& dummies() noexcept { return *dummies_; }

    /// Bytes held by SQL response bodies, process-wide (limits.max_inflight_response_bytes).
    const std::shared_ptr<response_budget>& responses() const noexcept { return responses_; }

private:
    conf::config config_;
    std::shared_ptr<tds_pool::credential_store> secrets_;
    std::unique_ptr<tds_pool::tenant_registry> registry_;
    std::unique_ptr<tds_pool::pool_manager> pools_;
    login_limiter limiter_;
    std::unique_ptr<dummy_hashes> dummies_;
    std::shared_ptr<response_budget> responses_ = std::make_shared<response_budget>();
    asio::thread_pool hash_workers_{2};
};

/// The backend shared by the sql and login handlers, created by the first configure()
/// (before serving starts, when the io_context exists). The io_context owns it (as one
/// of its services), so pools and registry are shut down while their strands and timers
/// still exist, whatever the order the server destroys its members in.
class db_backend_slot {
public:
    /// First call: builds the backend (an unreachable registry is retried in the
    /// background; /readyz answers 503 until a snapshot is loaded). Later calls (config
    /// reload, SIGHUP): refresh the registry in the background.
    void configure(const conf::config& config, asio::any_io_executor executor);
    /// The backend; null only before the first configure().
    db_backend* get() const noexcept { return backend_; }

private:
    std::mutex mutex_;  // serialises configure()
    db_backend* backend_ = nullptr;  ///< owned by a service of the io_context
    const conf::config* configured_ = nullptr;  ///< the configuration last seen
};

}  // namespace gateway
