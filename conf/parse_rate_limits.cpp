// Parsing of `rate_limits:` and a route's `rate_limit:`, the per-tenant request budgets.
#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

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
