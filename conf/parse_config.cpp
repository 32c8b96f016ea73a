// conf::parse_config: the top-level document and the checks spanning sections.
#include <algorithm>

#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

/// Proxy routes must name an upstream that the file defines.
void check_route_upstreams(const YAML::Node& root, const config& out) {
    const YAML::Node routes = at(root, "routes");
    for (std::size_t i = 0; i < out.routes.size(); ++i) {
        const route_config& route = out.routes[i];
        if (route.kind != route_kind::proxy) {
            continue;
        }
        const bool defined =
            std::any_of(out.upstreams.begin(), out.upstreams.end(),
                        [&](const upstream_config& u) { return u.name == route.upstream; });
        if (!defined) {
            fail(at(routes[i], "upstream"), "route " + route.path + " names upstream " +
                                                route.upstream + ", which is not defined");
        }
    }
}

/// A response may not need more than the budget of all responses: it could never be sent.
void check_response_limits(const YAML::Node& root, const config& out) {
    const std::size_t budget = out.limits.max_inflight_response_bytes;
    const auto too_large = [budget](std::size_t bytes) {
        return "max_response_bytes " + std::to_string(bytes) +
               " exceeds limits.max_inflight_response_bytes " + std::to_string(budget);
    };
    const YAML::Node limits = at(root, "limits");
    if (out.limits.max_response_bytes > budget) {
        fail(at(limits, "max_response_bytes"), too_large(out.limits.max_response_bytes));
    }
    const YAML::Node routes = at(root, "routes");
    for (std::size_t i = 0; i < out.routes.size(); ++i) {
        const auto& own = out.routes[i].max_response_bytes;
        if (own && *own > budget) {
            fail(at(routes[i], "max_response_bytes"), too_large(*own));
        }
    }
}

/// The global caps are split across the instances: each must get at least one connection.
void check_cluster_caps(const YAML::Node& root, const config& out) {
    const std::size_t instances = out.cluster.instances;
    const YAML::Node pools = at(root, "pools");
    const auto too_small = [instances](std::string_view name, std::size_t cap) {
        return "pools." + std::string(name) + " " + std::to_string(cap) +
               " is below cluster.instances " + std::to_string(instances) +
               ": split across the instances, some would get no connection";
    };
    if (out.pools.max_total_connections < instances) {
        fail(at(pools, "max_total_connections"),
             too_small("max_total_connections", out.pools.max_total_connections));
    }
    if (out.pools.max_connections_per_host < instances) {
        fail(at(pools, "max_connections_per_host"),
             too_small("max_connections_per_host", out.pools.max_connections_per_host));
    }
}

/// Fills one top-level section; false for an unknown key.
bool read_section(config& out, std::string_view key, const YAML::Node& value) {
    if (key == "listen") {
        out.listen = parse_listen(value);
    } else if (key == "limits") {
        out.limits = parse_limits(value);
    } else if (key == "tenant_resolution") {
        out.tenant_resolution = parse_tenant_resolution(value);
    } else if (key == "tenants") {
        out.tenants = parse_tenants(value);
    } else if (key == "routes") {
        out.routes = parse_routes(value);
    } else if (key == "upstreams") {
        out.upstreams = parse_upstreams(value);
    } else if (key == "pools") {
        out.pools = parse_pools(value);
    } else if (key == "cluster") {
        out.cluster = parse_cluster(value);
    } else if (key == "registry") {
        out.registry = parse_registry(value);
    } else if (key == "admin") {
        out.admin = parse_admin(value);
    } else if (key == "health") {
        out.health = parse_health(value);
    } else if (key == "metrics") {
        out.metrics = parse_metrics(value);
    } else if (key == "auth") {
        out.auth = parse_auth(value);
    } else if (key == "rate_limits") {
        out.rate_limits = parse_rate_limits(value);
    } else if (key == "log") {
        out.log = parse_log(value);
    } else {
        return false;
    }
    return true;
}

}  // namespace

config parse_config(const YAML::Node& root) {
    config out;
    if (!root.IsNull() && !root.IsMap()) {
        fail(root, "the configuration must be a mapping of sections");
    }
    for_each_field(root, "the configuration", [&](std::string_view key, const YAML::Node& value) {
        return read_section(out, key, value);
    });
    check_route_upstreams(root, out);
    check_response_limits(root, out);
    check_cluster_caps(root, out);
    return out;
}

}  // namespace conf
