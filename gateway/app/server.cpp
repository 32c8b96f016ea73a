#include "gateway/app/server.hpp"

#include <chrono>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "gateway/admin/operator_endpoints.hpp"
#include "gateway/app/state_loader.hpp"
#include "gateway/auth/route_access.hpp"
#include "gateway/http/echo_handler.hpp"
#include "gateway/http/tenant_limiter_metrics.hpp"
#include "gateway/proxy/proxy_handler.hpp"
#include "gateway/proxy/upstream_metrics.hpp"
#include "gateway/sql/response_budget.hpp"
#include "gateway/sql/sql_handler.hpp"
#include "gateway/telemetry/client_events.hpp"
#include "gateway/telemetry/log.hpp"

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

/// The first state: the configuration with the upstream pools it names.
std::shared_ptr<const runtime_state> first_state(serving_config initial, const upstream_registry& upstreams) {
    auto pools = upstreams.prepare(initial.config.upstreams);
    return make_runtime_state(std::move(initial.config), std::move(initial.tokens), std::move(pools));
}

/// The handlers of every route kind this build provides: echo, proxy, and sql and login
/// over `backend`.
handler_set make_default_handlers(tenant_backend& backend) {
    handler_set handlers;
    handlers.set(conf::route_kind::echo, std::make_unique<echo_handler>());
    handlers.set(conf::route_kind::proxy, std::make_unique<proxy_handler>());
    install_db_handlers(handlers, backend);
    return handlers;
}

/// How many bearer tokens the process verified: at most one per request.
void write_token_metrics(metrics_writer& writer) {
    writer.family("tenant_gateway_token_verifications_total",
                  "Bearer tokens verified (signature checks); at most one per request", "counter");
    writer.sample("tenant_gateway_token_verifications_total", {}, static_cast<double>(route_access::verifications()));
}

/// True for codes in the registry's snapshot (loaded, refreshed or found on demand).
std::function<bool(std::string_view)> registered_tenants(tds_pool::tenant_registry& registry) {
    return [&registry](std::string_view code) {
        return registry.snapshot()->find(std::string(code)) != nullptr;
    };
}

/// The limit columns of a tenant's registry row; nullopt when the row sets none.
tenant_limit_lookup registry_limits(tds_pool::tenant_registry& registry) {
    return [&registry](const std::string& code) -> std::optional<tenant_limit_override> {
        const auto snapshot = registry.snapshot();
        const auto* record = snapshot ? snapshot->find(code) : nullptr;
        if (record == nullptr || (!record->rate_limit_per_second && !record->max_concurrent_requests)) {
            return std::nullopt;
        }
        return tenant_limit_override{record->rate_limit_per_second, record->max_concurrent_requests};
    };
}

}  // namespace

server::server(std::string config_path, serving_config initial)
    : config_path_(std::move(config_path)),
      state_(first_state(std::move(initial), upstreams_)),
      services_{state_, handlers_, endpoints_, connections_, monitor_.metrics, limiter_, registry_limits_},
      loops_(io_context_, state_.get()->config().listen.io_threads),
      control_(asio::make_strand(io_context_)),
      signals_(control_, SIGINT, SIGTERM, SIGHUP),
      reloader_(config_path_, state_, backend_, upstreams_, monitor_, io_context_.get_executor()),
      backend_(io_context_, state_.get()->config()) {
    handlers_ = make_default_handlers(backend_);
    monitor_.backend.store(&backend_);
    add_operator_endpoints(endpoints_, monitor_, backend_, [this] { return reloader_.reload_off_loop(); });
}

bool server::open_listener() {
    const auto& listen = state_.get()->config().listen;
    return listeners_.open(listen.address, listen.port, loops_) && open_tls_listener();
}

bool server::open_tls_listener() {
    const auto& listen = state_.get()->config().listen;
    if (!listen.tls.enabled) return true;
    try {
        tls_ = std::make_unique<tls_identity_holder>(load_tls_identity(listen.tls));
    } catch (const std::exception& e) {
        log_error("cannot serve HTTPS", {{"error", e.what()}});
        return false;
    }
    log_info("TLS certificate loaded", {{"certificate", tls_->get()->certificate}});
    return tls_listeners_.open(listen.address, listen.tls.port, loops_);
}

int server::run() {
    if (!open_listener()) return 1;
    upstreams_.commit(state_.get()->upstreams_ptr(), io_context_.get_executor());
    backend_.start();  // an unreachable registry is logged; /readyz says 503 until loaded
    start_monitoring();
    const auto bound = listeners_.local_endpoint();
    log_info("started", {{"config", config_path_}, {"io_threads", loops_.size()}});
    // Plain text on purpose: scripts and tests wait for exactly this line.
    // The readiness announcement is written whatever log.level says; scripts wait for it.
    write_line(fmt::format(R"({{"time":"{}","level":"info","msg":"tenant-gateway listening on {}:{}"}})",
                           iso_time_now(), bound.address().to_string(), bound.port()));
    if (tls_) {
        const auto secure = tls_listeners_.local_endpoint();
        write_line(fmt::format(R"({{"time":"{}","level":"info","msg":"tenant-gateway serving https on {}:{}"}})",
                               iso_time_now(), secure.address().to_string(), secure.port()));
        tls_listeners_.start(services_, tls_.get());
    }
    listeners_.start(services_);
    asio::co_spawn(control_, watch_signals(this), report_task_end);

    loops_.run();
    // Parked upstream connections belong to the loops: close them while those exist.
    upstreams_.close_idle();
    log_info("stopped");
    return 0;
}

asio::awaitable<void> server::watch_signals(server* self) {
    for (;;) {
        auto [ec, signal] = co_await self->signals_.async_wait(nothrow);
        if (ec) co_return;  // cancelled at the end of the drain
        if (signal == SIGHUP) {
            (void)co_await self->reloader_.reload_off_loop();  // logs its outcome
            // A renewed certificate is picked up even when the file's settings are unchanged;
            // a bad one is logged and the one in use stays.
            if (self->tls_) self->tls_->reload(self->state_.get()->config().listen.tls);
        } else if (!self->draining_) {
            log_info("draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
            self->begin_drain();
        } else {
            log_warn("second stop signal: closing every connection now");
            self->connections_.close_all();
        }
    }
}

void server::start_monitoring() {
    monitor_.metrics.set_tenant_label_limit(state_.get()->config().metrics.max_tenant_labels);
    monitor_.metrics.set_tenant_filter(registered_tenants(backend_.registry()));
    // before the first accept: sessions read it without a lock
    registry_limits_ = registry_limits(backend_.registry());
    monitor_.add_collector([budget = backend_.responses()](metrics_writer& writer) {
        write_response_budget_metrics(writer, *budget);
    });
    // The registry lives as long as the server, so the pointer outlives every scrape.
    monitor_.add_collector([upstreams = &upstreams_](metrics_writer& writer) {
        write_upstream_metrics(writer, *upstreams);
    });
    monitor_.add_collector(write_token_metrics);
    monitor_.add_collector(write_client_event_metrics);
    const auto& config = state_.get()->config();
    if (config.rate_limits.shared) {
        rate_share_ = std::make_unique<rate_share_sync>(*config.rate_limits.shared, limiter_,
                                                        rate_share_instance_name(config.cluster));
    }
    // rate_share_ lives as long as the server, so the pointer outlives every scrape.
    monitor_.add_collector([sync = rate_share_.get()](metrics_writer& writer) {
        write_rate_share_metrics(writer, sync);
    });
    // The limiter and the metrics live as long as the server, so the pointers outlive every scrape.
    monitor_.add_collector([limiter = &limiter_, metrics = &monitor_.metrics](metrics_writer& writer) {
        write_tenant_in_flight(writer, *limiter, *metrics);
    });
    // The backend lives as long as the server, so the pointer outlives every scrape.
    monitor_.add_collector([backend = &backend_](metrics_writer& writer) {
        write_shared_login_metrics(writer, backend->shared_logins().get(), backend->shared_login_fallbacks());
    });
    sampler_.start(io_context_.get_executor());
    monitor_.listening.store(true);
}

void server::begin_drain() {
    draining_ = true;
    monitor_.listening.store(false);  // /readyz: 503, load balancers stop sending
    listeners_.close();
    tls_listeners_.close();
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

}  // namespace gateway
