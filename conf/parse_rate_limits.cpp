// Parsing of `rate_limits:` and a route's `rate_limit:`, the per-tenant request budgets.
#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

rate_limits_shared_config parse_rate_limits_shared(const YAML::Node& node) {
    rate_limits_shared_config out;
    bool has_redis = false;
    for_each_field(node, "rate_limits.shared", [&](std::string_view key, const YAML::Node& value) {
        if (parse_redis_client_key(key, value, out.redis, out.key_prefix, out.timeout, has_redis)) {
            return true;
        }
        if (key == "sync_interval") {
            out.sync_interval = read_duration(value);
            if (out.sync_interval < 10ms || out.sync_interval > 10s) {
                fail(value, "sync_interval must be between 10ms and 10s");
            }
        } else {
            return false;
        }
        return true;
    });
    if (!has_redis) fail(node, "rate_limits.shared needs redis");
    return out;
}

}  // namespace

rate_limits_config parse_rate_limits(const YAML::Node& node) {
    rate_limits_config out;
    for_each_field(node, "rate_limits", [&](std::string_view key, const YAML::Node& value) {
        if (key == "per_second") {
            out.per_second = read_uint<std::uint32_t>(value);
        } else if (key == "burst") {
            out.burst = read_uint<std::uint32_t>(value);
        } else if (key == "max_concurrent") {
            out.max_concurrent = read_uint<std::uint32_t>(value);
        } else if (key == "per_user_per_second") {
            out.per_user_per_second = read_uint<std::uint32_t>(value);
        } else if (key == "per_user_burst") {
            out.per_user_burst = read_uint<std::uint32_t>(value);
        } else if (key == "max_buckets") {
            // below a few hundred, eviction would reset busy tenants' buckets all the time
            out.max_buckets = read_uint<std::size_t>(value, 256);
        } else if (key == "shared") {
            out.shared = parse_rate_limits_shared(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

route_rate_limit parse_route_rate_limit(const YAML::Node& node) {
    route_rate_limit out;
    for_each_field(node, "rate_limit", [&](std::string_view key, const YAML::Node& value) {
        if (key == "per_second") {
            out.per_second = read_uint<std::uint32_t>(value);
        } else if (key == "burst") {
            out.burst = read_uint<std::uint32_t>(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

}  // namespace conf
