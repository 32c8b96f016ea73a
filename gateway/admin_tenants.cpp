#include "gateway/admin_tenants.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "gateway/health_access.hpp"
#include "gateway/json_response.hpp"
#include "gateway/response_headers.hpp"
#include "gateway/sql_handler.hpp"
#include "router/request_target.hpp"
#include "tds_pool/hosting.hpp"

namespace gateway {

namespace {

constexpr std::string_view tenants_path = "/admin/tenants";
constexpr std::string_view reload_path = "/admin/registry/reload";

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

/// Why the tenant's row is not served, or null.
boost::json::value problem_json(const tds_pool::tenant_record& tenant) {
    if (tenant.problem.empty()) return nullptr;
    return boost::json::string(tenant.problem);
}

/// GET /admin/tenants.
response tenants_table(db_backend& backend) {
    const auto snapshot = backend.registry().snapshot();
    const auto status = backend.registry().status();
    const auto& hosting = backend.registry().config().hosting;
    boost::json::array tenants;
    for (const auto& [code, tenant] : snapshot->tenants) {
        tenants.push_back(boost::json::object{{"companyCode", code},
                                              {"companyName", tenant.name},
                                              {"server", tenant.server},
                                              {"port", tenant.port},
                                              {"database", tenant.database},
                                              {"hosting", tds_pool::hosting_label(tenant.server, hosting)},
                                              {"active", tenant.active},
                                              {"problem", problem_json(tenant)}});
    }
    boost::json::object registry{{"source", status.source},
                                 {"stale", status.stale},
                                 {"ageSeconds", status.age.count()},
                                 {"invalidRows", snapshot->invalid_rows()}};
    return json_response(http::status::ok,
                         boost::json::object{{"tenants", std::move(tenants)}, {"registry", std::move(registry)}});
}

/// POST /admin/registry/reload.
asio::awaitable<response> reload_registry(db_backend* backend, std::string request_id,
                                          conf::duration retry_after) {
    const tds_pool::refresh_result result = co_await backend->registry().refresh();
    response res = result.ok
                       ? json_response(http::status::ok,
                                       boost::json::object{{"reloaded", true}, {"tenants", result.tenants}})
                       : error_response(503, "registry_unavailable",
                                        "the tenant registry cannot be reached; the last good copy stays",
                                        request_id);
    if (!result.ok) set_retry_after(res, retry_after);
    co_return res;
}

/// The refusal of a request before any work: access, availability, method.
std::optional<response> refusal(const request& req, const asio::ip::address& remote,
                                const conf::admin_config& admin, db_backend* backend,
                                std::string_view path, const std::string& request_id) {
    if (auto denied = check_access(admin.access, admin.token, req, remote, request_id)) return denied;
    if (backend == nullptr) {
        return error_response(503, "registry_unavailable", "no tenant registry in this process", request_id);
    }
    const bool reload = path == reload_path;
    const bool allowed = reload ? req.method() == http::verb::post
                                : (req.method() == http::verb::get || req.method() == http::verb::head);
    if (!allowed) {
        router::http_error error{405, "method_not_allowed", reload ? "use POST" : "use GET",
                                 reload ? std::vector<std::string>{"POST"}
                                        : std::vector<std::string>{"GET", "HEAD"}};
        return error_response(error, request_id);
    }
    return std::nullopt;
}

}  // namespace

bool is_admin_tenants_path(std::string_view target) noexcept {
    const std::string_view path = path_of(target);
    return path == tenants_path || path == reload_path;
}

asio::awaitable<std::optional<response>> admin_tenants_response(
    const request* req, asio::ip::address remote, std::shared_ptr<const runtime_state> state,
    const handler_set* handlers, std::string request_id) {
    std::optional<response> out;
    const auto& admin = state->config().admin;
    const std::string_view path = path_of(req->target());
    if (admin.enabled && is_admin_tenants_path(path)) {
        db_backend* backend = find_db_backend(*handlers);
        out = refusal(*req, remote, admin, backend, path, request_id);
        if (!out && path == reload_path) {
            out = co_await reload_registry(backend, request_id,
                                           state->config().limits.retry_after.registry_unavailable);
        } else if (!out) {
            out = tenants_table(*backend);
        }
    }
    co_return out;
}

}  // namespace gateway
