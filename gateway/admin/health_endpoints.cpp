#include "gateway/admin/health_endpoints.hpp"

#include <array>
#include <variant>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "gateway/admin/dashboard_page.hpp"
#include "gateway/admin/health_report.hpp"
#include "gateway/admin/series_report.hpp"
#include "gateway/auth/operator_access.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/sql/tenant_backend.hpp"
#include "router/company_code.hpp"
#include "router/request_target.hpp"

namespace gateway {

namespace {

/// Monitoring answers must never be cached by a proxy in between.
response no_store(response res) {
    res.set(http::field::cache_control, "no-store");
    return res;
}

/// GET /readyz: config loaded (it is, or no request would be served), registry loaded
/// once and the listener up.
response readyz(health_monitor& monitor, std::string_view request_id, conf::duration retry_after) {
    const bool listening = monitor.listening.load();
    const tenant_backend* backend = monitor.backend.load();
    const bool registry = backend != nullptr && backend->registry_loaded();
    if (listening && registry) {
        boost::json::object body;
        body["status"] = "ready";
        return no_store(json_response(http::status::ok, body));
    }
    std::string why = "not ready:";
    if (!listening) why += " listener not up;";
    if (!registry) why += " tenant registry not loaded;";
    why.pop_back();
    auto res = error_response(503, "not_ready", why, request_id);
    set_retry_after(res, retry_after);
    return no_store(std::move(res));
}

/// The tenant named by ?tenant=, checked; an error response when it is malformed.
std::variant<std::optional<std::string>, response> tenant_filter(
    const router::parsed_target& target, std::string_view request_id) {
    for (const auto& [key, value] : target.query) {
        if (key != "tenant") continue;
        auto code = router::normalize_company_code(value);
        if (!code) {
            return error_response(400, "invalid_company_code",
                                  "tenant must match [A-Za-z0-9_-]{1,64}", request_id);
        }
        return std::optional<std::string>(std::move(*code));
    }
    return std::optional<std::string>();
}

health_inputs collect_health(tenant_backend& backend, const conf::config& config) {
    health_inputs in;
    in.registry = backend.registry().snapshot();
    in.registry_status = backend.registry().status();
    in.pools = backend.pools().snapshot();
    in.active_pools = backend.pools().active_pools();
    in.probes = backend.probes().results();
    in.hosting = backend.hosting();
    in.pool_max_size = config.pools.max_size;
    in.caps = backend.pools().caps();
    in.now = std::chrono::system_clock::now();
    return in;
}

/// GET /health[?tenant=CODE].
response health(const router::parsed_target& target, const runtime_state& state,
                health_monitor& monitor, std::string_view request_id) {
    auto filter = tenant_filter(target, request_id);
    if (auto* refused = std::get_if<response>(&filter)) return std::move(*refused);
    const auto& only = std::get<std::optional<std::string>>(filter);
    health_inputs in;
    in.now = std::chrono::system_clock::now();
    if (tenant_backend* backend = monitor.backend.load()) {
        in = collect_health(*backend, state.config());
    }
    auto body = health_report(in, only);
    if (only && body["tenants"].as_array().empty()) {
        return error_response(404, "tenant_not_found",
                              "no active tenant " + *only + " in the registry", request_id);
    }
    return no_store(json_response(http::status::ok, body));
}

/// GET /metrics.
response metrics(const runtime_state& state, health_monitor& monitor) {
    auto& registry = monitor.metrics;
    registry.set_tenant_label_limit(state.config().metrics.max_tenant_labels);
    metrics_inputs in;
    in.requests = registry.totals();
    in.in_flight = registry.in_flight();
    const auto up = std::chrono::steady_clock::now() - registry.started();
    in.uptime_seconds = std::chrono::duration<double>(up).count();
    const auto started_at = std::chrono::system_clock::now() -
                            std::chrono::duration_cast<std::chrono::system_clock::duration>(up);
    in.start_time_seconds = std::chrono::duration<double>(started_at.time_since_epoch()).count();
    in.process = read_process_figures();
    if (tenant_backend* backend = monitor.backend.load()) {
        tenant_metrics_inputs t;
        t.registry = backend->registry().snapshot();
        t.registry_status = backend->registry().status();
        t.pools = backend->pools().snapshot();
        t.active_pools = backend->pools().active_pools();
        t.caps = backend->pools().caps();
        t.probes = backend->probes().results();
        t.hosting = backend->hosting();
        in.tenants = std::move(t);
    }
    in.collectors = monitor.collectors();
    response res{http::status::ok, 11};
    res.set(http::field::content_type, metrics_content_type);
    res.body() = render_metrics(in, registry);
    res.prepare_payload();
    return no_store(std::move(res));
}

/// GET /dashboard: the static status page; it reads /health itself.
response dashboard() {
    response res{http::status::ok, 11};
    res.set(http::field::content_type, "text/html; charset=utf-8");
    // Everything is inline; the page may only talk back to this gateway.
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src data:");
    res.body() = std::string(dashboard_html());
    res.prepare_payload();
    return no_store(std::move(res));
}

/// GET /dashboard/series.json[?tenant=CODE]: the charts' data, each tenant's last 15 minutes.
response dashboard_series(const router::parsed_target& target, health_monitor& monitor,
                          std::string_view request_id) {
    auto filter = tenant_filter(target, request_id);
    if (auto* refused = std::get_if<response>(&filter)) return std::move(*refused);
    const auto& history = monitor.metrics.history();
    const auto now = std::chrono::steady_clock::now();
    series_clock clock;
    clock.now = std::chrono::system_clock::now();
    clock.into_slot = now - history.epoch_start(history.epoch_at(now));
    const auto windows = history.read(now, std::get<std::optional<std::string>>(filter));
    return no_store(json_response(http::status::ok, series_report(windows, clock)));
}

}  // namespace

response monitoring_response(const router::parsed_target& target, const request& req,
                             const asio::ip::address& remote, const runtime_state& state,
                             health_monitor& monitor, std::string_view request_id) {
    const auto& config = state.config();
    if (target.path == "/readyz") return readyz(monitor, request_id, config.limits.retry_after.not_ready);
    if (target.path == "/metrics") {
        if (!config.metrics.enabled) {
            return error_response(404, "not_found", "metrics are disabled", request_id);
        }
        auto refused =
            check_access(config.metrics.access, config.metrics.token, req, remote, request_id);
        if (refused) return std::move(*refused);
        return metrics(state, monitor);
    }
    // /health and the page that shows it (with its charts' data) share one policy.
    auto refused =
        check_access(config.health.access, config.health.token, req, remote, request_id);
    if (refused) return std::move(*refused);
    if (target.path == "/dashboard") return dashboard();
    if (target.path == "/dashboard/series.json") return dashboard_series(target, monitor, request_id);
    return health(target, state, monitor, request_id);
}

}  // namespace gateway
