#include "gateway/sql/tenant_backend.hpp"

#include "gateway/telemetry/log.hpp"

namespace gateway {

/// Registry, pools and secrets when this backend builds its own.
struct tenant_backend::owned_parts {
    std::shared_ptr<tds_pool::credential_store> secrets;
    tds_pool::pool_manager pools;
    tds_pool::tenant_registry registry;

    owned_parts(asio::io_context& ioc, const conf::config& config,
                std::shared_ptr<tds_pool::credential_store> store)
        : secrets(std::move(store)),
          pools(ioc, config.pools),
          registry(config.registry, tds_pool::make_registry_source(config, secrets)) {}
};

tenant_backend::tenant_backend(asio::io_context& ioc, const conf::config& config)
    : ioc_(ioc),
      owned_(std::make_unique<owned_parts>(ioc, config,
                                           std::make_shared<tds_pool::credential_store>())),
      pools_(&owned_->pools),
      registry_(&owned_->registry),
      secrets_(owned_->secrets.get()),
      probes_(std::make_unique<probe_scheduler>(*pools_, *registry_, *secrets_,
                                                probe_settings_from(config.health))) {}

tenant_backend::tenant_backend(asio::io_context& ioc, const conf::config& config,
                               tds_pool::pool_manager& pools,
                               tds_pool::tenant_registry& registry,
                               tds_pool::credential_store& secrets)
    : ioc_(ioc),
      pools_(&pools),
      registry_(&registry),
      secrets_(&secrets),
      probes_(std::make_unique<probe_scheduler>(pools, registry, secrets,
                                                probe_settings_from(config.health))) {}

tenant_backend::~tenant_backend() {
    probes_->stop();
    if (owned_) {
        owned_->registry.stop();
        owned_->pools.shutdown();
    }
}

bool tenant_backend::registry_loaded() const {
    // The registry starts with an empty snapshot stamped with the epoch.
    return registry_->snapshot()->loaded_at != std::chrono::system_clock::time_point{};
}

bool tenant_backend::try_load_registry() {
    if (registry_loaded()) return true;
    if (!owned_) return false;  // the owner loads a borrowed registry
    // Not fatal: the snapshot file may serve, and /readyz says 503 until a snapshot is
    // loaded (the refresh loop of a tds source retries with backoff).
    if (owned_->registry.load_at_start()) return true;
    log_error("tenant registry not loaded", {{"error", owned_->registry.status().last_error}});
    return false;
}

void tenant_backend::start() {
    if (started_) return;
    started_ = true;
    if (owned_) {
        // A tenant whose database moved or that was deactivated: its pool drains.
        auto* pools = pools_;
        owned_->registry.on_retarget([pools](const std::vector<std::string>& codes) {
            for (const auto& code : codes) pools->close_tenant(code);
        });
        owned_->registry.start(ioc_.get_executor());
    }
    probes_->start(ioc_.get_executor());
}

void tenant_backend::reconfigure(const conf::config& config) {
    probes_->update(probe_settings_from(config.health));
}

}  // namespace gateway
