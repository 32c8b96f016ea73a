#include "gateway/admin/operator_endpoints.hpp"

#include <boost/json/object.hpp>

#include "gateway/admin/admin_tenants.hpp"
#include "gateway/admin/health_endpoints.hpp"
#include "gateway/admin/openapi_document.hpp"
#include "gateway/auth/operator_access.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/runtime_state.hpp"

namespace gateway {

namespace {

/// GET /livez: the process is up and its event loop answers.
asio::awaitable<response> livez(endpoint_request) {
    co_return json_response(http::status::ok, boost::json::object{{"status", "ok"}});
}

/// GET /openapi.json: the contract of the configuration this request runs under (so a
/// reload shows at once), readable by whoever may read /metrics.
asio::awaitable<response> openapi(endpoint_request r) {
    const auto& config = r.state.config();
    if (auto refused = check_access(config.metrics.access, config.metrics.token, r.req, r.origin.address,
                                    r.request_id)) {
        co_return std::move(*refused);
    }
    response res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = openapi_text(config, TG_VERSION);
    res.prepare_payload();
    co_return res;
}

/// An endpoint answered from memory by monitoring_response.
endpoint monitoring(std::string path, health_monitor& monitor) {
    auto answer = [&monitor](endpoint_request r) -> asio::awaitable<response> {
        co_return monitoring_response(r.target, r.req, r.origin.address, r.state, monitor, r.request_id);
    };
    return endpoint{std::move(path), {http::verb::get}, nullptr, std::move(answer)};
}

bool admin_enabled(const conf::config& config) { return config.admin.enabled; }

}  // namespace

void add_monitoring_endpoints(endpoint_table& table, health_monitor& monitor) {
    table.add(endpoint{"/livez", {http::verb::get}, nullptr, livez});
    for (const char* path : {"/readyz", "/health", "/metrics", "/dashboard", "/dashboard/series.json"}) table.add(monitoring(path, monitor));
    table.add(endpoint{"/openapi.json", {http::verb::get}, nullptr, openapi});
}

void add_admin_endpoints(endpoint_table& table, tenant_backend& backend, config_reload_function reload) {
    tenant_backend* tenants = &backend;
    table.add(endpoint{"/admin/tenants", {http::verb::get}, admin_enabled,
                       [tenants](endpoint_request r) { return admin_tenants_answer(r, tenants); }});
    table.add(endpoint{"/admin/registry/reload", {http::verb::post}, admin_enabled,
                       [tenants](endpoint_request r) { return admin_registry_reload_answer(r, tenants); }});
    auto shared_reload = std::make_shared<const config_reload_function>(std::move(reload));
    table.add(endpoint{"/admin/config/reload", {http::verb::post}, admin_enabled,
                       [shared_reload](endpoint_request r) {
                           return admin_config_reload_answer(r, shared_reload.get());
                       }});
}

void add_operator_endpoints(endpoint_table& table, health_monitor& monitor, tenant_backend& backend,
                            config_reload_function reload) {
    add_monitoring_endpoints(table, monitor);
    add_admin_endpoints(table, backend, std::move(reload));
}

}  // namespace gateway
