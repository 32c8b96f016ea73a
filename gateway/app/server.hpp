#pragma once
// The running gateway: io_context and its threads, the listeners, signals (SIGTERM and
// SIGINT drain and exit, SIGHUP reloads the configuration), and the application's
// long-lived objects: the tenant backend, the upstream pools and the reloader.

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include "gateway/admin/health_monitor.hpp"
#include "gateway/admin/series_sampler.hpp"
#include "gateway/app/config_reload.hpp"
#include "gateway/app/state_loader.hpp"
#include "gateway/cluster/rate_share_sync.hpp"
#include "gateway/http/connection_tracker.hpp"
#include "gateway/http/endpoint_table.hpp"
#include "gateway/http/event_loops.hpp"
#include "gateway/http/handler_set.hpp"
#include "gateway/http/loop_listeners.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/http/services.hpp"
#include "gateway/http/tls_identity.hpp"
#include "gateway/proxy/upstream_registry.hpp"
#include "gateway/sql/tenant_backend.hpp"

namespace gateway {

/// Owns everything that lives as long as the process serves.
class server {
public:
    /// Prepares to serve `initial`, loaded from `config_path` (re-read on SIGHUP); does
    /// no I/O.
    server(std::string config_path, serving_config initial);
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Listens, serves until drained after SIGTERM/SIGINT; returns the exit code.
    int run();

private:
    static asio::awaitable<void> watch_signals(server* self);
    static asio::awaitable<void> drain(server* self);
    bool open_listener();
    bool open_tls_listener();
    void begin_drain();
    void start_monitoring();

    std::string config_path_;
    // Declared before io_context_: sessions still queued in it reach these when the
    // io_context is destroyed. The upstream pools come first: each state holds a set
    // of them.
    upstream_registry upstreams_;
    state_holder state_;
    handler_set handlers_;
    endpoint_table endpoints_;  ///< the operator endpoints, filled at construction
    connection_tracker connections_;
    health_monitor monitor_;
    tenant_limiter limiter_;
    /// With rate_limits.shared: sets limiter_'s shares from Redis (after limiter_, so
    /// it stops first). Set in start_monitoring; a change of its settings needs a restart.
    std::unique_ptr<rate_share_sync> rate_share_;
    tenant_limit_lookup registry_limits_;  ///< set once the backend exists (start_monitoring)
    services services_;
    // Declared before io_context_ (loop 0), so they are destroyed after it: a session
    // of another loop may wait on loop 0 (a tenant pool), never the other way round.
    event_loops loops_;
    /// Run by one thread only (event_loops::run): the hint lets Asio queue a
    /// handler's own immediate completions without taking the scheduler's lock.
    asio::io_context io_context_{1};
    // The signals and the drain are driven from this one strand.
    asio::strand<asio::io_context::executor_type> control_;
    loop_listeners listeners_;
    loop_listeners tls_listeners_;  ///< open only with listen.tls
    /// The certificate new HTTPS handshakes present, re-read on SIGHUP; null without
    /// listen.tls. Sessions hold their own identity, so this may go before them.
    std::unique_ptr<tls_identity_holder> tls_;
    asio::signal_set signals_;
    bool draining_ = false;  ///< touched only by watch_signals
    // Before backend_, so destroyed after it: a reload may still run on the backend's
    // hash workers, which the backend joins when it goes.
    config_reloader reloader_;
    // Declared after io_context_, so destroyed before it: the pools' strands and timers,
    // the registry's refresh timer and the probes live on io_context_ and must be
    // stopped, their threads joined, while it still exists. The handlers and the
    // services hold references to it and are destroyed later, but use it no more once
    // the event loops have stopped.
    tenant_backend backend_;
    // Last, so destroyed first: it samples backend_ into monitor_'s history.
    series_sampler sampler_{monitor_.metrics.history(), backend_};
};

}  // namespace gateway
