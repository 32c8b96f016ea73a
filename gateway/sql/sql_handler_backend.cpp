#include "gateway/sql/sql_handler_backend.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>

#include "gateway/telemetry/log.hpp"
#include "gateway/auth/password_hash.hpp"

namespace gateway {

namespace {

/// Owns the backend inside the io_context: shut down before the io_context's scheduler.
class db_backend_service final : public asio::execution_context::service {
public:
    static inline asio::execution_context::id id;

    explicit db_backend_service(asio::execution_context& context) : service(context) {}

    /// Builds the backend (once).
    db_backend* create(const conf::config& config, asio::io_context& ioc) {
        if (!backend_) backend_ = std::make_unique<db_backend>(config, ioc);
        return backend_.get();
    }

private:
    void shutdown() override { backend_.reset(); }

    std::unique_ptr<db_backend> backend_;
};

/// A reload's registry refresh; the outcome is logged by the registry itself.
asio::awaitable<void> refresh_registry(tds_pool::tenant_registry* registry) {
    co_await registry->refresh();
}

/// The dummy for tenants none of whose stored hashes was seen yet.
made_dummy fallback_dummy(const conf::auth_config& auth) {
    const std::string seed = hash_password("no such user", auth.dummy_hash_scheme.c_str(), auth.dummy_hash_cost);
    if (auto made = make_dummy_like(seed)) return std::move(*made);
    log_error("auth.dummy_hash_scheme/cost unusable, using $y$ at its default cost", {});
    return make_dummy_like(hash_password("no such user", "$y$")).value_or(made_dummy{});
}

}  // namespace

db_backend::db_backend(const conf::config& config, asio::io_context& ioc)
    : config_(config),
      secrets_(std::make_shared<tds_pool::credential_store>()),
      limiter_(config.auth.login_limit),
      dummies_(std::make_unique<dummy_hashes>(fallback_dummy(config.auth))) {
    registry_ = std::make_unique<tds_pool::tenant_registry>(
        config.registry, tds_pool::make_registry_source(config, secrets_));
    const bool loaded = registry_->load_at_start();
    pools_ = std::make_unique<tds_pool::pool_manager>(ioc, config.pools);
    tds_pool::pool_manager* pools = pools_.get();
    registry_->on_retarget([pools](const std::vector<std::string>& codes) {
        for (const auto& code : codes) pools->close_tenant(code);
    });
    registry_->start(ioc.get_executor());
    const auto status = registry_->status();
    if (loaded) {
        log_info("tenant registry loaded", {{"source", status.source},
                                            {"served_from", status.served_from},
                                            {"tenants", status.tenants}});
    } else {
        // Not fatal: /readyz answers 503 until the background retry loads it.
        log_error("tenant registry not loaded, retrying in the background",
                  {{"source", status.source}, {"error", status.last_error}});
    }
}

db_backend::~db_backend() {
    registry_->stop();
    hash_workers_.join();
}

void db_backend_slot::configure(const conf::config& config, asio::any_io_executor executor) {
    std::lock_guard lock(mutex_);
    if (configured_ == &config) return;  // both handlers share the slot: once per config
    configured_ = &config;
    if (backend_) {
        backend_->responses()->set_limit(config.limits.max_inflight_response_bytes);
        auto& registry = backend_->registry();
        if (config.registry.source == conf::registry_source::yaml && registry.status().source == "yaml") {
            registry.replace_source(tds_pool::make_yaml_source(config.tenants));  // the new tenants: list
        }
        asio::co_spawn(executor, refresh_registry(&registry), asio::detached);
        return;
    }
    // the executor is the server's io_context: the pools' strands and timers live there
    auto& context = asio::query(executor, asio::execution::context);
    auto& ioc = static_cast<asio::io_context&>(context);
    backend_ = asio::use_service<db_backend_service>(ioc).create(config, ioc);
    backend_->responses()->set_limit(config.limits.max_inflight_response_bytes);
}

}  // namespace gateway
