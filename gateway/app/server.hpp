#pragma once
// The running gateway: io_context and its threads, the listener, signals (SIGTERM and
// SIGINT drain and exit, SIGHUP reloads the configuration).

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include "gateway/admin/health_monitor.hpp"
#include "gateway/http/connection_tracker.hpp"
#include "gateway/http/endpoint_table.hpp"
#include "gateway/http/event_loops.hpp"
#include "gateway/http/handler_set.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/http/services.hpp"
#include "gateway/sql/tenant_backend.hpp"

namespace gateway {

/// Owns everything that lives as long as the process serves.
class server {
public:
    /// Prepares to serve `initial`, loaded from `config_path` (re-read on SIGHUP).
    server(std::string config_path, std::shared_ptr<const runtime_state> initial,
           handler_set handlers);
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Listens, serves until drained after SIGTERM/SIGINT; returns the exit code.
    int run();

private:
    static asio::awaitable<void> watch_signals(server* self);
    static asio::awaitable<void> drain(server* self);
    bool open_listener();
    void reload();
    void begin_drain();
    void start_backend();

    std::string config_path_;
    // Declared before io_context_: sessions still queued in it reach these when the
    // io_context is destroyed.
    state_holder state_;
    handler_set handlers_;
    connection_tracker connections_;
    health_monitor monitor_;
    endpoint_table endpoints_;  ///< operator endpoints, filled at construction
    services services_;
    // Declared before io_context_ (loop 0), so they are destroyed after it: a session
    // of another loop may wait on loop 0 (a tenant pool), never the other way round.
    event_loops loops_;
    asio::io_context io_context_;
    // The acceptor, the signals and the drain are driven from this one strand, so
    // closing the acceptor never races a pending accept.
    asio::strand<asio::io_context::executor_type> control_;
    asio::ip::tcp::acceptor acceptor_;
    asio::signal_set signals_;
    bool draining_ = false;  ///< touched only by watch_signals
    // Declared after io_context_ so its pools and probes are gone before the io_context.
    std::unique_ptr<tenant_backend> backend_;
};

}  // namespace gateway
