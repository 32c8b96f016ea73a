#include "gateway/server.hpp"

#include <chrono>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "conf/loader.hpp"
#include "gateway/listener.hpp"
#include "gateway/log.hpp"
#include "gateway/proxy_handler.hpp"
#include "gateway/sql_handler.hpp"
#include "gateway/upstream_metrics.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// co_spawn completion for the server's own coroutines: a failure there is fatal.
void report_task_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("server task failed", {{"error", e.what()}});
    } catch (...) {
        log_error("server task failed", {{"error", "unknown exception"}});
    }
    std::terminate();
}

bool same_listener(const conf::listen_config& a, const conf::listen_config& b) {
    return a.address == b.address && a.port == b.port && a.io_threads == b.io_threads;
}

}  // namespace

server::server(std::string config_path, std::shared_ptr<const runtime_state> initial,
               handler_set handlers)
    : config_path_(std::move(config_path)),
      state_(std::move(initial)),
      handlers_(std::move(handlers)),
      services_{state_, handlers_, connections_, monitor_},
      loops_(io_context_, state_.get()->config().listen.io_threads),
      control_(asio::make_strand(io_context_)),
      acceptor_(control_),
      signals_(control_, SIGINT, SIGTERM, SIGHUP) {}

bool server::open_listener() {
    const auto& listen = state_.get()->config().listen;
    beast::error_code ec;
    const auto address = asio::ip::make_address(listen.address, ec);
    if (ec) {
        log_error("invalid listen address", {{"address", listen.address}});
        return false;
    }
    const asio::ip::tcp::endpoint endpoint{address, listen.port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        log_error("cannot listen", {{"address", listen.address}, {"port", listen.port},
                                    {"error", ec.message()}});
        return false;
    }
    return true;
}

int server::run() {
    if (!open_listener()) return 1;
    handlers_.configure_all(state_.get()->config(), io_context_.get_executor());
    start_backend();
    const auto bound = acceptor_.local_endpoint();
    log_info("started", {{"config", config_path_}, {"io_threads", loops_.size()}});
    // Plain text on purpose: scripts and tests wait for exactly this line.
    // The readiness announcement is written whatever log.level says; scripts wait for it.
    write_line(fmt::format(R"({{"time":"{}","level":"info","msg":"tenant-gateway listening on {}:{}"}})",
                           iso_time_now(), bound.address().to_string(), bound.port()));

    asio::co_spawn(control_, accept_loop(acceptor_, services_, loops_), report_task_end);
    asio::co_spawn(control_, watch_signals(this), report_task_end);

    loops_.run();
    // Parked upstream connections belong to the loops: close them while those exist.
    if (auto* proxy = find_proxy_handler(handlers_)) proxy->close_idle_connections();
    log_info("stopped");
    return 0;
}

asio::awaitable<void> server::watch_signals(server* self) {
    for (;;) {
        auto [ec, signal] = co_await self->signals_.async_wait(nothrow);
        if (ec) co_return;  // cancelled at the end of the drain
        if (signal == SIGHUP) {
            self->reload();
        } else if (!self->draining_) {
            log_info("draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
            self->begin_drain();
        } else {
            log_warn("second stop signal: closing every connection now");
            self->connections_.close_all();
        }
    }
}

namespace {

/// True for codes in the registry's snapshot (loaded, refreshed or found on demand).
std::function<bool(std::string_view)> registered_tenants(tds_pool::tenant_registry& registry) {
    return [&registry](std::string_view code) {
        return registry.snapshot()->find(std::string(code)) != nullptr;
    };
}

}  // namespace

void server::start_backend() {
    // share registry and pools with the sql/login handlers: one pool per tenant
    if (db_backend* db = find_db_backend(handlers_)) {
        backend_ = std::make_unique<tenant_backend>(io_context_, state_.get()->config(), db->pools(),
                                                    db->registry(), db->secrets());
    } else {
        backend_ = std::make_unique<tenant_backend>(io_context_, state_.get()->config());
    }
    backend_->try_load_registry();  // a failure is logged; /readyz says 503 until loaded
    backend_->start();
    monitor_.metrics.set_tenant_label_limit(state_.get()->config().metrics.max_tenant_labels);
    monitor_.metrics.set_tenant_filter(registered_tenants(backend_->registry()));
    if (const db_backend* db = find_db_backend(handlers_)) {
        monitor_.add_collector([budget = db->responses()](metrics_writer& writer) {
            write_response_budget_metrics(writer, *budget);
        });
    }
    if (const auto* proxy = find_proxy_handler(handlers_)) {
        // The handler set lives as long as the server, so the pointer outlives every scrape.
        monitor_.add_collector(
            [proxy](metrics_writer& writer) { write_upstream_metrics(writer, proxy->upstreams()); });
    }
    monitor_.backend.store(backend_.get());
    monitor_.listening.store(true);
}

void server::begin_drain() {
    draining_ = true;
    monitor_.listening.store(false);  // /readyz: 503, load balancers stop sending
    beast::error_code ignored;
    acceptor_.close(ignored);
    connections_.begin_drain();
    asio::co_spawn(control_, drain(this), report_task_end);
}

asio::awaitable<void> server::drain(server* self) {
    const auto limit = self->state_.get()->config().limits.drain_timeout;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    co_await self->connections_.wait_until_empty(deadline);
    if (const auto left = self->connections_.size(); left > 0) {
        log_warn("drain timeout: closing connections still open", {{"connections", left}});
    }
    beast::error_code ignored;
    self->signals_.cancel(ignored);
    self->loops_.stop();
}

void server::reload() {
    std::shared_ptr<const runtime_state> next;
    try {
        // a key that cannot be read refuses the reload: the keys in use stay in use
        next = load_serving_state(config_path_, unreadable_keys::refuse);
    } catch (const std::exception& e) {
        // The old configuration keeps serving; the operator sees why in the log.
        log_error("config reload refused", {{"config", config_path_}, {"error", e.what()}});
        return;
    }
    const auto& old_listen = state_.get()->config().listen;
    if (!same_listener(old_listen, next->config().listen)) {
        log_warn("listen address, port and io_threads apply only after a restart");
    }
    handlers_.configure_all(next->config(), io_context_.get_executor());
    if (backend_) backend_->reconfigure(next->config());
    monitor_.metrics.set_tenant_label_limit(next->config().metrics.max_tenant_labels);
    set_log_options(next->config().log);
    state_.set(std::move(next));
    log_info("config reloaded", {{"config", config_path_}});
}

}  // namespace gateway
