// Parsing of `upstreams:`, the web applications proxy routes forward to.
#include <cstdint>
#include <limits>
#include <set>

#include "conf/parse_sections.hpp"
#include "conf/upstream_url.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

std::vector<std::string> read_servers(const YAML::Node& value) {
    std::vector<std::string> servers;
    for (const YAML::Node& item : read_sequence(value)) {
        std::string server = read_string(item);
        if (!parse_upstream_url(server)) {
            fail(item, "an upstream server must be a URL http://host:port[/path]");
        }
        servers.push_back(std::move(server));
    }
    return servers;
}

}  // namespace

upstream_health_config parse_upstream_health(const YAML::Node& node) {
    upstream_health_config out;
    for_each_field(node, "health_check", [&](std::string_view key, const YAML::Node& value) {
        if (key == "path") {
            out.path = read_string(value);
        } else if (key == "interval") {
            out.interval = read_duration(value);
        } else if (key == "timeout") {
            out.timeout = read_duration(value);
        } else if (key == "healthy_threshold") {
            out.healthy_threshold = read_uint<unsigned>(value, 1);
        } else if (key == "unhealthy_threshold") {
            out.unhealthy_threshold = read_uint<unsigned>(value, 1);
        } else {
            return false;
        }
        return true;
    });
    if (out.path.empty() || out.path.front() != '/') {
        fail(at(node, "path"), "health_check.path must start with '/'");
    }
    if (out.interval.count() <= 0) {
        fail(at(node, "interval"), "health_check.interval must be greater than 0");
    }
    return out;
}

upstream_config parse_upstream(const YAML::Node& node) {
    upstream_config out;
    if (!node.IsMap()) {
        fail(node, "expected a mapping for an upstream");
    }
    for_each_field(node, "upstream", [&](std::string_view key, const YAML::Node& value) {
        if (key == "name") {
            out.name = read_string(value);
        } else if (key == "servers") {
            out.servers = read_servers(value);
        } else if (key == "balance") {
            out.balance = read_enum<balance_policy>(
                value, {{"round_robin", balance_policy::round_robin},
                        {"least_in_flight", balance_policy::least_in_flight}});
        } else if (key == "max_connections_per_server") {
            out.max_connections_per_server = read_uint<std::size_t>(value, 1);
        } else if (key == "max_idle_per_server") {
            out.max_idle_per_server = read_uint<std::size_t>(value);
        } else if (key == "connect_timeout") {
            out.connect_timeout = read_duration(value);
        } else if (key == "read_timeout") {
            out.read_timeout = read_duration(value);
        } else if (key == "total_timeout") {
            out.total_timeout = read_duration(value);
        } else if (key == "preserve_host") {
            out.preserve_host = read_bool(value);
        } else if (key == "passive_failures") {
            out.passive_failures = read_uint<unsigned>(value, 1);
        } else if (key == "passive_retry") {
            out.passive_retry = read_duration(value);
        } else if (key == "max_response_header_bytes") {
            out.max_response_header_bytes = read_unsigned(value, 1, std::numeric_limits<std::uint32_t>::max());
        } else if (key == "health_check") {
            out.health_check = parse_upstream_health(value);
        } else {
            return false;
        }
        return true;
    });
    if (out.name.empty()) {
        fail(at(node, "name"), "an upstream needs a non-empty name");
    }
    if (out.servers.empty()) {
        fail(at(node, "servers"), "upstream " + out.name + " needs at least one server");
    }
    if (out.passive_retry.count() <= 0) {
        fail(at(node, "passive_retry"), "passive_retry must be greater than 0");
    }
    return out;
}

std::vector<upstream_config> parse_upstreams(const YAML::Node& node) {
    std::vector<upstream_config> out;
    std::set<std::string> names;
    for (const YAML::Node& item : read_sequence(node)) {
        upstream_config upstream = parse_upstream(item);
        if (!names.insert(upstream.name).second) {
            fail(at(item, "name"), "duplicate upstream name " + upstream.name);
        }
        out.push_back(std::move(upstream));
    }
    return out;
}

}  // namespace conf
