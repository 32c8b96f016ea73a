// Parsing of `cluster:`, this instance's place among the gateways that share every
// tenant's connection budget.
#include <unistd.h>

#include <climits>
#include <optional>

#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

std::optional<std::size_t> host_name_ordinal(std::string_view host) {
    // a fully qualified name (pod.service.namespace...) keeps its ordinal in the first label
    host = host.substr(0, host.find('.'));
    const std::size_t dash = host.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == host.size()) return std::nullopt;
    const std::string_view digits = host.substr(dash + 1);
    if (digits.size() > 9) return std::nullopt;
    std::size_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    return value;
}

namespace {

/// The word that asks for the host name's trailing ordinal instead of a number.
constexpr std::string_view from_host_name = "hostname_ordinal";

std::string this_host_name() {
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return {};
    return name;
}

/// `instance_id:` a number, or `hostname_ordinal` (a StatefulSet pod name-0, name-1...).
std::size_t read_instance_id(const YAML::Node& value) {
    if (read_string(value) != from_host_name) return read_uint<std::size_t>(value);
    const std::string host = this_host_name();
    const auto ordinal = host_name_ordinal(host);
    if (!ordinal) {
        fail(value, "instance_id: hostname_ordinal needs a host name ending in -N (as a "
                    "StatefulSet's pods are named), but the host name is '" + host + "'");
    }
    return *ordinal;
}

}  // namespace

cluster_config parse_cluster(const YAML::Node& node) {
    cluster_config out;
    for_each_field(node, "cluster", [&](std::string_view key, const YAML::Node& value) {
        if (key == "instances") {
            out.instances = read_uint<std::size_t>(value, 1);
        } else if (key == "instance_id") {
            out.instance_id = read_instance_id(value);
        } else {
            return false;
        }
        return true;
    });
    if (out.instance_id >= out.instances) {
        fail(at(node, "instance_id"), "cluster.instance_id " + std::to_string(out.instance_id) +
                                          " must be below cluster.instances " +
                                          std::to_string(out.instances));
    }
    return out;
}

}  // namespace conf
