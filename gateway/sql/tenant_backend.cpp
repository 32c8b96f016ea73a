#include "gateway/sql/tenant_backend.hpp"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "gateway/telemetry/log.hpp"
#include "gateway/auth/password_hash.hpp"

namespace gateway {

namespace {

/// The dummy for tenants none of whose stored hashes was seen yet.
made_dummy fallback_dummy(const conf::auth_config& auth) {
    const std::string seed = hash_password("no such user", auth.dummy_hash_scheme.c_str(), auth.dummy_hash_cost);
    if (auto made = make_dummy_like(seed)) return std::move(*made);
    log_error("auth.dummy_hash_scheme/cost unusable, using $y$ at its default cost", {});
    return make_dummy_like(hash_password("no such user", "$y$")).value_or(made_dummy{});
}

/// The Redis store of `limits.shared`, or null.
std::shared_ptr<shared_login_store> make_shared_logins(const conf::login_limit_config& limits,
                                                       std::shared_ptr<shared_login_stats> stats) {
    if (!limits.shared) return nullptr;
    return std::make_shared<shared_login_store>(limits, std::move(stats));
}

/// A reload's registry refresh; the outcome is logged by the registry itself.
asio::awaitable<void> refresh_registry(tds_pool::tenant_registry* registry) {
    co_await registry->refresh();
}

}  // namespace

tenant_backend::tenant_backend(asio::io_context& ioc, const conf::config& config)
    : ioc_(ioc),
      secrets_(std::make_shared<tds_pool::credential_store>()),
      registry_(config.registry, tds_pool::make_registry_source(config, secrets_)),
      pools_(ioc, config.pools, config.cluster),
      probes_(pools_, registry_, *secrets_, probe_settings_from(config.health)),
      limiter_(config.auth.login_limit),
      shared_logins_(make_shared_logins(config.auth.login_limit, shared_stats_)),
      dummies_(fallback_dummy(config.auth)) {
    responses_->set_limit(config.limits.max_inflight_response_bytes);
    // A tenant whose database moved or that was deactivated: its pool drains.
    registry_.on_retarget([pools = &pools_](const std::vector<std::string>& codes) {
        for (const auto& code : codes) pools->close_tenant(code);
    });
}

tenant_backend::~tenant_backend() {
    probes_.stop();
    registry_.stop();
    pools_.shutdown();
    hash_workers_.join();
}

void tenant_backend::start() {
    if (registry_.load_at_start()) {
        const auto status = registry_.status();
        log_info("tenant registry loaded", {{"source", status.source},
                                            {"served_from", status.served_from},
                                            {"tenants", status.tenants}});
    } else {
        // Not fatal: /readyz answers 503 until the background retry loads it.
        const auto status = registry_.status();
        log_error("tenant registry not loaded, retrying in the background",
                  {{"source", status.source}, {"error", status.last_error}});
    }
    registry_.start(ioc_.get_executor());
    probes_.start(ioc_.get_executor());
}

std::shared_ptr<shared_login_store> tenant_backend::shared_logins() const {
    std::lock_guard lock(shared_mutex_);
    return shared_logins_;
}

void tenant_backend::apply_shared_logins(const conf::login_limit_config& limits,
                                         std::optional<std::shared_ptr<shared_login_store>> replacement) {
    std::shared_ptr<shared_login_store> retired;  // joined outside the lock
    std::lock_guard lock(shared_mutex_);
    if (replacement) {
        // logins in flight keep the old store until they end; its thread goes with the last
        retired = std::exchange(shared_logins_, std::move(*replacement));
    }
    if (shared_logins_) shared_logins_->set_limits(limits);
}

bool tenant_backend::registry_loaded() const {
    // The registry starts with an empty snapshot stamped with the epoch.
    return registry_.snapshot()->loaded_at != std::chrono::system_clock::time_point{};
}

backend_reload tenant_backend::prepare(const conf::config& next) const {
    backend_reload out;
    // a new source (a new connection for tds) even when unchanged: a reload re-reads
    out.registry_source = tds_pool::make_registry_source(next, secrets_);
    out.fallback_dummy = fallback_dummy(next.auth);
    const auto current = shared_logins();
    const auto& wanted = next.auth.login_limit.shared;
    if (current ? !wanted || current->settings() != *wanted : wanted.has_value()) {
        out.shared_logins = make_shared_logins(next.auth.login_limit, shared_stats_);
    }
    return out;
}

void tenant_backend::apply(const conf::config& next, backend_reload prepared) {
    pools_.reconfigure(next.pools, next.cluster);
    registry_.reconfigure(next.registry, std::move(prepared.registry_source));
    probes_.update(probe_settings_from(next.health));
    limiter_.set_limits(next.auth.login_limit);
    apply_shared_logins(next.auth.login_limit, std::move(prepared.shared_logins));
    dummies_.set_fallback(std::move(prepared.fallback_dummy));
    responses_->set_limit(next.limits.max_inflight_response_bytes);
    asio::co_spawn(ioc_, refresh_registry(&registry_), asio::detached);
}

}  // namespace gateway
