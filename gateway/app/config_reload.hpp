#pragma once
// The whole-configuration reload, for SIGHUP and POST /admin/config/reload. A reload
// applies every part of the new file or refuses it whole, in three steps:
//   1. build: load and validate the file, read its token keys, check that nothing that
//      needs a restart changed (restart_needed), prepare the upstream set and the
//      backend's parts (a new registry source, the fallback dummy hash). A failure here
//      is a refusal and nothing has changed.
//   2. apply: the long-lived objects shared by every configuration take the new settings
//      (pools, registry source and interval, probes, login limits, response budget,
//      upstream health checks, metrics and log options). Nothing here can fail.
//   3. swap: requests that start from now on get the new state.
// What one configuration's requests use (routes, tenant resolution, token keys,
// upstreams, limits) lives in its runtime_state, so a request keeps the rules it started
// under to its end, and no request sees rules of a configuration not yet swapped in.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "conf/config.hpp"
#include "gateway/admin/admin_config_reload.hpp"

namespace gateway {

namespace asio = boost::asio;

class state_holder;
class tenant_backend;
class upstream_registry;
struct health_monitor;

/// The settings that differ between `running` and `next` and apply only after a
/// restart (listen address, port and io_threads, listen.tls on/off and its port,
/// pools.worker_threads, rate_limits.shared), as a sentence;
/// nullopt when none does.
std::optional<std::string> restart_needed(const conf::config& running, const conf::config& next);

/// Reloads a running gateway's configuration file; thread-safe, one reload at a time.
class config_reloader {
public:
    /// The referenced objects must outlive this; upstream health checks run on `executor`.
    config_reloader(std::string path, state_holder& state, tenant_backend& backend,
                    upstream_registry& upstreams, health_monitor& monitor, asio::any_io_executor executor);

    /// Re-reads the file and applies it whole, or refuses it whole (the running
    /// configuration keeps serving). Logs `config reloaded` or `config reload refused`.
    reload_result reload();
    /// reload() on one of the backend's hash worker threads: reading the file and key
    /// files and making the dummy hash take time an event loop must not spend.
    asio::awaitable<reload_result> reload_off_loop();

private:
    struct built;
    built build() const;
    void apply(built next);

    const std::string path_;
    state_holder& state_;
    tenant_backend& backend_;
    upstream_registry& upstreams_;
    health_monitor& monitor_;
    asio::any_io_executor executor_;
    std::mutex mutex_;  // one reload at a time: SIGHUP and the admin endpoint may overlap
};

}  // namespace gateway
