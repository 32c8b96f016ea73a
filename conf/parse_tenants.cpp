// Parsing of the tenant registry: the static tenant list and the registry section.
#include <algorithm>
#include <cctype>
#include <map>

#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

/// A company code as the router will see it: `[A-Za-z0-9_-]{1,64}`, upper-cased.
std::string read_company_code(const YAML::Node& value) {
    std::string code = read_string(value);
    const bool valid = !code.empty() && code.size() <= 64 &&
                       std::all_of(code.begin(), code.end(), [](unsigned char c) {
                           return std::isalnum(c) != 0 || c == '_' || c == '-';
                       });
    if (!valid) {
        fail(value, "a tenant code must be 1 to 64 of A-Z, a-z, 0-9, '_' and '-'");
    }
    std::transform(code.begin(), code.end(), code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return code;
}

void require_field(const YAML::Node& node, const std::string& value, std::string_view key,
                   std::string_view what) {
    if (value.empty()) {
        fail(at(node, key), std::string(what) + " needs a non-empty " + std::string(key));
    }
}

}  // namespace

tenant_config parse_tenant(const YAML::Node& node) {
    tenant_config out;
    if (!node.IsMap()) {
        fail(node, "expected a mapping for a tenant");
    }
    for_each_field(node, "tenant", [&](std::string_view key, const YAML::Node& value) {
        if (key == "code") {
            out.code = read_company_code(value);
        } else if (key == "name") {
            out.name = read_string(value);
        } else if (key == "server") {
            out.server = read_string(value);
        } else if (key == "port") {
            out.port = read_uint<std::uint16_t>(value, 1);
        } else if (key == "database") {
            out.database = read_string(value);
        } else if (key == "user") {
            out.user = read_string(value);
        } else if (key == "credential_ref") {
            out.credential_ref = read_secret_ref(value);
        } else if (key == "active") {
            out.active = read_bool(value);
        } else if (key == "max_connections") {
            out.max_connections = read_uint<std::size_t>(value, 1);
        } else if (key == "rate_limit_per_second") {
            out.rate_limit_per_second = read_uint<std::uint32_t>(value);
        } else if (key == "rate_limit_burst") {
            out.rate_limit_burst = read_uint<std::uint32_t>(value);
        } else if (key == "max_concurrent_requests") {
            out.max_concurrent_requests = read_uint<std::uint32_t>(value);
        } else {
            return read_tls_field(out.tls, key, value);
        }
        return true;
    });
    require_field(node, out.code, "code", "a tenant");
    require_field(node, out.server, "server", "tenant " + out.code);
    require_field(node, out.database, "database", "tenant " + out.code);
    return out;
}

std::vector<tenant_config> parse_tenants(const YAML::Node& node) {
    std::vector<tenant_config> out;
    std::map<std::string, std::size_t> index_by_code;
    for (const YAML::Node& item : read_sequence(node)) {
        tenant_config tenant = parse_tenant(item);
        if (!index_by_code.emplace(tenant.code, out.size()).second) {
            fail(at(item, "code"), "duplicate tenant code " + tenant.code);
        }
        out.push_back(std::move(tenant));
    }
    return out;
}

hosting_config parse_hosting(const YAML::Node& node) {
    hosting_config out;
    for_each_field(node, "registry.hosting", [&](std::string_view key, const YAML::Node& value) {
        if (key == "own_server_patterns") {
            out.own_server_patterns = read_string_list(value);
        } else if (key == "azure_patterns") {
            out.azure_patterns = read_string_list(value);
        } else if (key == "aws_patterns") {
            out.aws_patterns = read_string_list(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

namespace {

/// retry_base > 0 and retry_max >= retry_base.
void check_retry(const YAML::Node& node, const registry_config& out) {
    if (out.retry_base.count() <= 0) {
        fail(at(node, "retry_base"), "registry.retry_base must be positive");
    }
    if (out.retry_max < out.retry_base) {
        fail(at(node, "retry_max"), "registry.retry_max must not be below registry.retry_base");
    }
}

}  // namespace

registry_config parse_registry(const YAML::Node& node) {
    registry_config out;
    for_each_field(node, "registry", [&](std::string_view key, const YAML::Node& value) {
        if (key == "source") {
            out.source = read_enum<registry_source>(
                value, {{"yaml", registry_source::yaml}, {"tds", registry_source::tds}});
        } else if (key == "server") {
            out.server = read_string(value);
        } else if (key == "port") {
            out.port = read_uint<std::uint16_t>(value, 1);
        } else if (key == "database") {
            out.database = read_string(value);
        } else if (key == "user") {
            out.user = read_string(value);
        } else if (key == "credential_ref") {
            out.credential_ref = read_secret_ref(value);
        } else if (key == "refresh_interval") {
            out.refresh_interval = read_duration(value);
        } else if (key == "change_poll_interval") {
            out.change_poll_interval = read_duration(value);
        } else if (key == "negative_cache_ttl") {
            out.negative_cache_ttl = read_duration(value);
        } else if (key == "negative_cache_max") {
            out.negative_cache_max = read_uint<std::size_t>(value);
        } else if (key == "max_lookups_per_second") {
            out.max_lookups_per_second = read_uint<std::size_t>(value);
        } else if (key == "lookup_burst") {
            out.lookup_burst = read_uint<std::size_t>(value, 1);
        } else if (key == "retry_base") {
            out.retry_base = read_duration(value);
        } else if (key == "retry_max") {
            out.retry_max = read_duration(value);
        } else if (key == "snapshot_file") {
            out.snapshot_file = read_string(value);
        } else if (key == "default_user") {
            out.default_user = read_string(value);
        } else if (key == "default_credential_ref") {
            out.default_credential_ref = read_secret_ref(value);
        } else if (key == "hosting") {
            out.hosting = parse_hosting(value);
        } else {
            return read_tls_field(out.tls, key, value);
        }
        return true;
    });
    check_retry(node, out);
    if (out.source == registry_source::tds) {
        const YAML::Node where = at(node, "source");
        if (out.server.empty()) {
            fail(where, "registry source tds needs registry.server");
        }
        if (out.database.empty()) {
            fail(where, "registry source tds needs registry.database");
        }
    }
    return out;
}

}  // namespace conf
