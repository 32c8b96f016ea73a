#pragma once
// One tenant as the registry knows it, and the immutable snapshot of all tenants that
// requests read. A refresh builds a new snapshot and swaps the pointer; a request keeps
// the snapshot it started with.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "conf/config.hpp"
#include "tds_pool/connection_target.hpp"
#include "tds_pool/credentials.hpp"

namespace tds_pool {

/// A row of the Tenants table (or an entry of the YAML `tenants:` list).
struct tenant_record {
    std::string code;  ///< upper case
    std::string name;
    std::string server;
    std::uint16_t port = 1433;
    std::string database;
    std::string user;            ///< empty: registry.default_user
    std::string credential_ref;  ///< empty: registry.default_credential_ref
    conf::tls_overrides tls;     ///< NULL columns / absent keys: pools' defaults
    bool active = true;
    std::optional<std::size_t> max_connections;
    /// RateLimitPerSecond and MaxConcurrentRequests columns (NULL or absent: the YAML or
    /// `rate_limits:` defaults); a YAML tenant's own limits are read from its entry instead.
    std::optional<std::uint32_t> rate_limit_per_second;
    std::optional<std::uint32_t> max_concurrent_requests;
    /// Why this tenant cannot be served as its row stands (a bad port, an empty
    /// database, an unknown certificate name...); empty for a valid row.
    std::string problem;

    /// True when a pool built for `other` can serve this record (server, port, database,
    /// user, credential reference and TLS settings all equal).
    bool same_target(const tenant_record& other) const noexcept;
    friend bool operator==(const tenant_record&, const tenant_record&) = default;
};

/// All tenants at one moment; never modified once published.
struct registry_snapshot {
    std::map<std::string, tenant_record> tenants;  ///< by code, inactive and invalid ones included
    std::chrono::system_clock::time_point loaded_at{};
    std::size_t rows_without_code = 0;  ///< rows skipped: no usable CompanyCode to file them under

    /// Tenants whose row has a problem, plus the rows without a code.
    std::size_t invalid_rows() const;

    /// The tenant with this (upper-case) code, active or not; nullptr when unknown.
    const tenant_record* find(const std::string& code) const;
};

using snapshot_ptr = std::shared_ptr<const registry_snapshot>;

/// A YAML `tenants:` entry as a record.
tenant_record record_from_config(const conf::tenant_config& tenant);

/// Where to connect for `tenant`: its user and credential reference, or the registry's
/// defaults; its TLS settings over `tls_defaults` (pools'); the problem when the secret
/// cannot be read (never the secret itself).
std::variant<connection_target, credential_problem> resolve_target(
    const tenant_record& tenant, const conf::registry_config& config,
    const conf::tls_settings& tls_defaults, credential_store& secrets);

}  // namespace tds_pool
