#include "tds_pool/registry/registry_record.hpp"

namespace tds_pool {

bool tenant_record::same_target(const tenant_record& other) const noexcept {
    return server == other.server && port == other.port && database == other.database &&
           user == other.user && credential_ref == other.credential_ref && tls == other.tls;
}

const tenant_record* registry_snapshot::find(const std::string& code) const {
    const auto found = tenants.find(code);
    return found == tenants.end() ? nullptr : &found->second;
}

std::size_t registry_snapshot::invalid_rows() const {
    std::size_t out = rows_without_code;
    for (const auto& [code, tenant] : tenants) out += tenant.problem.empty() ? 0 : 1;
    return out;
}

tenant_record record_from_config(const conf::tenant_config& tenant) {
    tenant_record out;
    out.code = tenant.code;
    out.name = tenant.name;
    out.server = tenant.server;
    out.port = tenant.port;
    out.database = tenant.database;
    out.user = tenant.user;
    out.credential_ref = tenant.credential_ref;
    out.tls = tenant.tls;
    out.active = tenant.active;
    out.max_connections = tenant.max_connections;
    return out;
}

std::variant<connection_target, credential_problem> resolve_target(
    const tenant_record& tenant, const conf::registry_config& config,
    const conf::tls_settings& tls_defaults, credential_store& secrets) {
    const std::string& ref =
        tenant.credential_ref.empty() ? config.default_credential_ref : tenant.credential_ref;
    auto secret = secrets.resolve(ref);
    if (auto* problem = std::get_if<credential_problem>(&secret)) {
        return credential_problem{"credentials of tenant " + tenant.code + ": " + problem->message};
    }
    connection_target target;
    target.server = tenant.server;
    target.port = tenant.port;
    target.database = tenant.database;
    target.user = tenant.user.empty() ? config.default_user : tenant.user;
    target.password = std::move(std::get<std::string>(secret));
    target.max_connections = tenant.max_connections;
    target.tls = tenant.tls.over(tls_defaults);
    return target;
}

}  // namespace tds_pool
