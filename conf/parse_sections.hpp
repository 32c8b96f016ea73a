#pragma once
// One parse function per configuration struct. Each reads its YAML mapping, rejects
// unknown keys and wrong types, and checks the rules local to that struct.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>
#include <vector>

#include "conf/config.hpp"

namespace conf {

/// `listen:`
listen_config parse_listen(const YAML::Node& node);
/// `limits.retry_after:`
retry_after_config parse_retry_after(const YAML::Node& node);
/// `limits:`
limits_config parse_limits(const YAML::Node& node);
/// `number` or `string` (`decimal_as`, `bigint_as` of limits and routes)
number_form read_number_form(const YAML::Node& node);
/// `tenant_resolution:`
tenant_resolution_config parse_tenant_resolution(const YAML::Node& node);
/// One entry of `tenants:`
tenant_config parse_tenant(const YAML::Node& node);
/// `tenants:`; codes are unique.
std::vector<tenant_config> parse_tenants(const YAML::Node& node);
/// One entry of a route's `params:`
param_config parse_param(const YAML::Node& node);
/// One entry of `routes:`
route_config parse_route(const YAML::Node& node);
/// `routes:`; no method + path pair appears twice.
std::vector<route_config> parse_routes(const YAML::Node& node);
/// An upstream's `health_check:`
upstream_health_config parse_upstream_health(const YAML::Node& node);
/// One entry of `upstreams:`
upstream_config parse_upstream(const YAML::Node& node);
/// `upstreams:`; names are unique.
std::vector<upstream_config> parse_upstreams(const YAML::Node& node);
/// One TLS key of a tenant, `registry:` or `pools:` (encrypt, trust_server_certificate,
/// ca_file, host_name_in_certificate) into `out`; false for any other key.
bool read_tls_field(tls_overrides& out, std::string_view key, const YAML::Node& value);
/// `pools.breaker:`
breaker_config parse_breaker(const YAML::Node& node);
/// `pools:`
pools_config parse_pools(const YAML::Node& node);
/// `cluster:`
cluster_config parse_cluster(const YAML::Node& node);
/// The ordinal N a host name `name-N` ends in (a StatefulSet pod's), read from its first
/// label; nullopt when it has none.
std::optional<std::size_t> host_name_ordinal(std::string_view host);
/// `registry.hosting:`
hosting_config parse_hosting(const YAML::Node& node);
/// `registry:`
registry_config parse_registry(const YAML::Node& node);
/// `admin:`
admin_config parse_admin(const YAML::Node& node);
/// `health:`
health_config parse_health(const YAML::Node& node);
/// `metrics:`
metrics_config parse_metrics(const YAML::Node& node);
/// `auth.login_limit.shared:`
login_limit_shared_config parse_login_limit_shared(const YAML::Node& node);
/// The keys every Redis client section has (redis, key_prefix, timeout): reads `key`'s
/// `value` into the matching field; false for any other key. `has_redis` is set by redis.
bool parse_redis_client_key(std::string_view key, const YAML::Node& value, redis_url& redis,
                            std::string& key_prefix, duration& timeout, bool& has_redis);
/// `auth.login_limit:`
login_limit_config parse_login_limit(const YAML::Node& node);
/// `auth:`
auth_config parse_auth(const YAML::Node& node);
log_config parse_log(const YAML::Node& node);
/// `rate_limits:`
rate_limits_config parse_rate_limits(const YAML::Node& node);
/// A route's `rate_limit:`
route_rate_limit parse_route_rate_limit(const YAML::Node& node);
/// The whole document, including the checks that span sections.
config parse_config(const YAML::Node& root);

}  // namespace conf
