#pragma once
// Typed, located reads from yaml-cpp nodes. Every failure throws conf::node_error
// carrying the YAML mark of the offending key or value; the loader adds the file name.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.hpp"

namespace conf {

/// A configuration problem at one place of the YAML text.
class node_error : public std::runtime_error {
public:
    /// `mark` is yaml-cpp's 0-based position; it may be null when unknown.
    node_error(const YAML::Mark& mark, const std::string& message);
    /// Where the problem is.
    [[nodiscard]] const YAML::Mark& mark() const noexcept { return mark_; }

private:
    YAML::Mark mark_;
};

/// Throws node_error at `where`.
[[noreturn]] void fail(const YAML::Node& where, const std::string& message);

/// The value of `key` in `map` when present, otherwise `map` itself: a place to point at.
YAML::Node at(const YAML::Node& map, std::string_view key);

/// Calls `handle(key, value)` for each entry of the mapping `map` (a null node is an
/// empty mapping). `handle` returns false for a key it does not know, which is an error;
/// so are duplicate keys and a node that is not a mapping. `section` names the mapping
/// in messages.
void for_each_field(const YAML::Node& map, std::string_view section,
                    const std::function<bool(std::string_view, const YAML::Node&)>& handle);

/// The elements of a sequence (a null node is an empty sequence).
std::vector<YAML::Node> read_sequence(const YAML::Node& node);

/// A scalar's text after `${ENV}` substitution.
std::string read_string(const YAML::Node& node);

/// `true` or `false`.
bool read_bool(const YAML::Node& node);

/// A decimal unsigned integer within [min, max].
std::uint64_t read_unsigned(const YAML::Node& node, std::uint64_t min, std::uint64_t max);

/// read_unsigned bounded by the range of T.
template <typename T>
T read_uint(const YAML::Node& node, std::uint64_t min = 0) {
    return static_cast<T>(read_unsigned(node, min, std::numeric_limits<T>::max()));
}

/// A finite decimal number.
double read_number(const YAML::Node& node);

/// A duration: "250ms", "5s", "2m", "1h" or "0".
duration read_duration(const YAML::Node& node);

/// "env:NAME" or "file:/path" (or empty): where a secret lives, never the secret itself.
std::string read_secret_ref(const YAML::Node& node);

/// A sequence of scalars.
std::vector<std::string> read_string_list(const YAML::Node& node);

/// A scalar that must be one of the names in `table`.
template <typename E>
E read_enum(const YAML::Node& node, std::initializer_list<std::pair<std::string_view, E>> table) {
    const std::string text = read_string(node);
    std::string names;
    for (const auto& [name, value] : table) {
        if (text == name) {
            return value;
        }
        names += names.empty() ? "" : ", ";
        names += name;
    }
    fail(node, "expected one of: " + names);
}

}  // namespace conf
