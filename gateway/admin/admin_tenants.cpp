#include "gateway/admin/admin_tenants.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "gateway/auth/operator_access.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/sql/tenant_backend.hpp"
#include "router/request_target.hpp"
#include "tds_pool/registry/hosting.hpp"

namespace gateway {

namespace {

/// Why the tenant's row is not served, or null.
boost::json::value problem_json(const tds_pool::tenant_record& tenant) {
    if (tenant.problem.empty()) return nullptr;
    return boost::json::string(tenant.problem);
}

/// How the tenant's live pool last connected ("verified", "encrypted", "not_required"),
/// or null before it did.
boost::json::value encryption_json(const std::vector<tds_pool::pool_snapshot>& pools, const std::string& code) {
    for (const auto& pool : pools) {
        if (pool.tenant == code && !pool.draining && !pool.encryption.empty()) {
            return boost::json::string(pool.encryption);
        }
    }
    return nullptr;
}

/// GET /admin/tenants.
response tenants_table(tenant_backend& backend) {
    const auto snapshot = backend.registry().snapshot();
    const auto status = backend.registry().status();
    const auto hosting = backend.hosting();
    const auto pools = backend.pools().snapshot();
    boost::json::array tenants;
    for (const auto& [code, tenant] : snapshot->tenants) {
        tenants.push_back(boost::json::object{{"companyCode", code},
                                              {"companyName", tenant.name},
                                              {"server", tenant.server},
                                              {"port", tenant.port},
                                              {"database", tenant.database},
                                              {"hosting", tds_pool::hosting_label(tenant.server, hosting)},
                                              {"active", tenant.active},
                                              {"encryption", encryption_json(pools, code)},
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
asio::awaitable<response> reload_registry(tenant_backend* backend, std::string request_id,
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

/// The refusal of a request before any work: access, availability.
std::optional<response> refusal(const endpoint_request& request, tenant_backend* backend) {
    const auto& admin = request.state.config().admin;
    if (auto denied = check_access(admin.access, admin.token, request.req, request.origin.address, request.request_id)) {
        return denied;
    }
    if (backend == nullptr) {
        return error_response(503, "registry_unavailable", "no tenant registry in this process", request.request_id);
    }
    return std::nullopt;
}

}  // namespace

asio::awaitable<response> admin_tenants_answer(endpoint_request request, tenant_backend* backend) {
    if (auto refused = refusal(request, backend)) co_return std::move(*refused);
    co_return tenants_table(*backend);
}

asio::awaitable<response> admin_registry_reload_answer(endpoint_request request, tenant_backend* backend) {
    if (auto refused = refusal(request, backend)) co_return std::move(*refused);
    co_return co_await reload_registry(backend, request.request_id,
                                       request.state.config().limits.retry_after.registry_unavailable);
}

}  // namespace gateway
