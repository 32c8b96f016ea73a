#pragma once
// The process's view of tenant databases for monitoring: the tenant registry, the
// per-tenant pools and the background health probes over them. Either it owns registry
// and pools (built from the configuration), or it borrows those of the database route
// handlers, so that probes and request traffic share one pool per tenant.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "conf/config.hpp"
#include "gateway/sql/probe_scheduler.hpp"
#include "tds_pool/credentials.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/registry/registry_client.hpp"

namespace gateway {

/// Registry + pools + probes; thread-safe. Destroy before the io_context it runs on.
class tenant_backend {
public:
    /// Owns a registry client and pools built from `config`; does no I/O.
    tenant_backend(asio::io_context& ioc, const conf::config& config);
    /// Borrows registry, pools and secrets owned elsewhere (they must outlive this);
    /// the owner loads and refreshes the registry.
    tenant_backend(asio::io_context& ioc, const conf::config& config,
                   tds_pool::pool_manager& pools, tds_pool::tenant_registry& registry,
                   tds_pool::credential_store& secrets);
    /// Stops probes; an owned registry stops refreshing and owned pools drain.
    ~tenant_backend();
    tenant_backend(const tenant_backend&) = delete;
    tenant_backend& operator=(const tenant_backend&) = delete;

    /// Loads the registry once (blocking), from its source or else the snapshot file;
    /// false, logged, when neither could. Until a snapshot is loaded /readyz answers 503.
    bool try_load_registry();
    /// Starts health probes (and refreshes of an owned registry) on the io_context.
    void start();
    /// Applies the reloadable settings of a new configuration (probe timing).
    void reconfigure(const conf::config& config);

    /// True once a registry snapshot is loaded (from the source, a refresh or the file).
    bool registry_loaded() const;

    tds_pool::pool_manager& pools() noexcept { return *pools_; }
    tds_pool::tenant_registry& registry() noexcept { return *registry_; }
    const probe_scheduler& probes() const noexcept { return *probes_; }
    /// Host patterns that classify a tenant's hosting location.
    const conf::hosting_config& hosting() const noexcept { return registry_->config().hosting; }

private:
    struct owned_parts;

    asio::io_context& ioc_;
    std::unique_ptr<owned_parts> owned_;  ///< null when borrowing
    tds_pool::pool_manager* pools_ = nullptr;
    tds_pool::tenant_registry* registry_ = nullptr;
    tds_pool::credential_store* secrets_ = nullptr;
    std::unique_ptr<probe_scheduler> probes_;
    bool started_ = false;
};

}  // namespace gateway
