// Typed reads from yaml-cpp nodes with precise error locations.
#include "conf/yaml_reader.hpp"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <variant>

#include "conf/env_substitute.hpp"
#include "conf/loader.hpp"

namespace conf {

node_error::node_error(const YAML::Mark& mark, const std::string& message)
    : std::runtime_error(message), mark_(mark) {}

void fail(const YAML::Node& where, const std::string& message) {
    throw node_error(where.Mark(), message);
}

YAML::Node at(const YAML::Node& map, std::string_view key) {
    if (map.IsMap()) {
        for (const auto& entry : map) {
            if (entry.first.IsScalar() && entry.first.Scalar() == key) {
                return entry.second;
            }
        }
    }
    return map;
}

void for_each_field(const YAML::Node& map, std::string_view section,
                    const std::function<bool(std::string_view, const YAML::Node&)>& handle) {
    if (map.IsNull()) {
        return;
    }
    if (!map.IsMap()) {
        fail(map, "expected a mapping for " + std::string(section));
    }
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : map) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar()) {
            fail(key, "expected a plain key in " + std::string(section));
        }
        if (!seen.insert(key.Scalar()).second) {
            fail(key, "duplicate key '" + key.Scalar() + "' in " + std::string(section));
        }
        bool known = false;
        try {
            known = handle(key.Scalar(), entry.second);
        } catch (const node_error& e) {
            // An empty value ("token:") has its mark after the key, often on the next
            // line; point at the key instead.
            const bool at_empty_value =
                entry.second.IsNull() && e.mark().pos == entry.second.Mark().pos;
            if (!at_empty_value) {
                throw;
            }
            throw node_error(key.Mark(), std::string(e.what()) + " for '" + key.Scalar() + "'");
        }
        if (!known) {
            fail(key, "unknown key '" + key.Scalar() + "' in " + std::string(section));
        }
    }
}

std::vector<YAML::Node> read_sequence(const YAML::Node& node) {
    if (node.IsNull()) {
        return {};
    }
    if (!node.IsSequence()) {
        fail(node, "expected a list");
    }
    return {node.begin(), node.end()};
}

std::string read_string(const YAML::Node& node) {
    if (node.IsNull()) {
        fail(node, "missing value");
    }
    if (!node.IsScalar()) {
        fail(node, "expected a single value, not a list or mapping");
    }
    auto result = substitute_env(node.Scalar());
    if (auto* error = std::get_if<substitution_error>(&result)) {
        fail(node, error->message);
    }
    return std::get<std::string>(std::move(result));
}

bool read_bool(const YAML::Node& node) {
    const std::string text = read_string(node);
    if (text == "true" || text == "True" || text == "TRUE") {
        return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
        return false;
    }
    fail(node, "expected true or false");
}

std::uint64_t read_unsigned(const YAML::Node& node, std::uint64_t min, std::uint64_t max) {
    const std::string text = read_string(node);
    std::uint64_t value = 0;
    const char* last = text.data() + text.size();
    auto [rest, ec] = std::from_chars(text.data(), last, value);
    const std::string range = std::to_string(min) + ".." + std::to_string(max);
    if (text.empty() || ec != std::errc{} || rest != last || value < min || value > max) {
        fail(node, "expected an integer in " + range);
    }
    return value;
}

double read_number(const YAML::Node& node) {
    const std::string text = read_string(node);
    double value = 0;
    const char* last = text.data() + text.size();
    auto [rest, ec] = std::from_chars(text.data(), last, value);
    if (text.empty() || ec != std::errc{} || rest != last || !std::isfinite(value)) {
        fail(node, "expected a number");
    }
    return value;
}

duration read_duration(const YAML::Node& node) {
    const auto value = parse_duration(read_string(node));
    if (!value) {
        fail(node, "expected a duration such as 250ms, 5s, 2m, 1h or 0");
    }
    return *value;
}

std::string read_secret_ref(const YAML::Node& node) {
    std::string ref = read_string(node);
    const bool env = ref.rfind("env:", 0) == 0 && ref.size() > 4;
    const bool file = ref.rfind("file:", 0) == 0 && ref.size() > 5;
    if (!ref.empty() && !env && !file) {
        fail(node, "a secret reference must look like env:NAME or file:/path");
    }
    // A reference that cannot be resolved now would fail every connection or token
    // later; say so at --check-config and at start instead. Only whether the secret
    // exists is checked: its value is never read here.
    if (env) {
        const std::string name = ref.substr(4);
        const char* value = std::getenv(name.c_str());
        if (value == nullptr || *value == '\0') {
            fail(node, "environment variable " + name + " is not set or empty");
        }
    } else if (file && ::access(ref.c_str() + 5, R_OK) != 0) {
        fail(node, "secret file " + ref.substr(5) + " cannot be read");
    }
    return ref;
}

std::vector<std::string> read_string_list(const YAML::Node& node) {
    std::vector<std::string> out;
    for (const YAML::Node& item : read_sequence(node)) {
        out.push_back(read_string(item));
    }
    return out;
}

}  // namespace conf
