#include "gateway/app/config_reload.hpp"

#include <exception>
#include <memory>
#include <stdexcept>
#include <vector>

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "gateway/admin/health_monitor.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/app/state_loader.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/sql/tenant_backend.hpp"
#include "gateway/proxy/upstream_registry.hpp"
#include "tds_pool/worker_call.hpp"

namespace gateway {

namespace {

/// A refusal's reason, thrown inside build() and caught in reload().
struct refusal : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// reload() as a worker job.
struct reload_job {
    config_reloader* reloader;
    reload_result operator()() const { return reloader->reload(); }
};

}  // namespace

/// Everything made in the build step, applied and swapped in together.
struct config_reloader::built {
    std::shared_ptr<const runtime_state> state;
    backend_reload backend;
};

std::optional<std::string> restart_needed(const conf::config& running, const conf::config& next) {
    std::vector<std::string> changed;
    if (running.listen.address != next.listen.address) {
        changed.push_back(fmt::format("listen.address {} -> {}", running.listen.address, next.listen.address));
    }
    if (running.listen.port != next.listen.port) {
        changed.push_back(fmt::format("listen.port {} -> {}", running.listen.port, next.listen.port));
    }
    if (running.listen.io_threads != next.listen.io_threads) {
        changed.push_back(fmt::format("listen.io_threads {} -> {}", running.listen.io_threads,
                                      next.listen.io_threads));
    }
    if (running.listen.tls.enabled != next.listen.tls.enabled) {
        changed.push_back(fmt::format("listen.tls {} -> {}", running.listen.tls.enabled ? "on" : "off",
                                      next.listen.tls.enabled ? "on" : "off"));
    }
    if (running.listen.tls.port != next.listen.tls.port) {
        changed.push_back(fmt::format("listen.tls.port {} -> {}", running.listen.tls.port, next.listen.tls.port));
    }
    if (running.pools.worker_threads != next.pools.worker_threads) {
        changed.push_back(fmt::format("pools.worker_threads {} -> {}", running.pools.worker_threads,
                                      next.pools.worker_threads));
    }
    if (running.rate_limits.shared != next.rate_limits.shared) {
        // its URL may hold a password: named, never printed
        changed.push_back("rate_limits.shared");
    }
    if (changed.empty()) return std::nullopt;
    return fmt::format("{} changed: the listen settings (address, port, io_threads, tls on/off and port), "
                       "pools.worker_threads and rate_limits.shared need a restart; nothing was applied",
                       fmt::join(changed, ", "));
}

config_reloader::config_reloader(std::string path, state_holder& state, tenant_backend& backend,
                                 upstream_registry& upstreams, health_monitor& monitor,
                                 asio::any_io_executor executor)
    : path_(std::move(path)),
      state_(state),
      backend_(backend),
      upstreams_(upstreams),
      monitor_(monitor),
      executor_(std::move(executor)) {}

config_reloader::built config_reloader::build() const {
    // a key that cannot be read refuses the reload: the keys in use stay in use
    serving_config loaded = load_serving_config(path_, unreadable_keys::refuse);
    if (auto restart = restart_needed(state_.get()->config(), loaded.config)) throw refusal(*restart);
    built out;
    out.backend = backend_.prepare(loaded.config);
    auto upstreams = upstreams_.prepare(loaded.config.upstreams);
    out.state = make_runtime_state(std::move(loaded.config), std::move(loaded.tokens), std::move(upstreams));
    return out;
}

void config_reloader::apply(built next) {
    const conf::config& config = next.state->config();
    backend_.apply(config, std::move(next.backend));
    upstreams_.commit(next.state->upstreams_ptr(), executor_);
    monitor_.metrics.set_tenant_label_limit(config.metrics.max_tenant_labels);
    set_log_options(config.log);
    state_.set(std::move(next.state));
}

reload_result config_reloader::reload() {
    std::lock_guard lock(mutex_);
    reload_result result;
    built next;
    try {
        next = build();
    } catch (const std::exception& e) {
        // The running configuration keeps serving; the operator sees why in the log.
        result.reason = e.what();
        log_error("config reload refused", {{"config", path_}, {"error", result.reason}});
        return result;
    }
    result.reloaded = true;
    result.routes = next.state->config().routes.size();
    result.upstreams = next.state->config().upstreams.size();
    apply(std::move(next));
    log_info("config reloaded", {{"config", path_}, {"routes", result.routes}, {"upstreams", result.upstreams}});
    return result;
}

asio::awaitable<reload_result> config_reloader::reload_off_loop() {
    co_return co_await tds_pool::detail::async_call(backend_.hash_workers().get_executor(), reload_job{this},
                                                    asio::use_awaitable);
}

}  // namespace gateway
