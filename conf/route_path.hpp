#pragma once
// The syntax of route path patterns: "/api/customers/{id}" or the prefix "/app/*".

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace conf {

/// What a valid pattern declares.
struct route_path_info {
    std::vector<std::string> params;  ///< `{name}` captures, in order
    bool prefix = false;              ///< ends in "/*"
    std::string shape;                ///< captures renamed to `{}`: equal shapes collide
};

/// Checks a pattern: starts with '/', `*` only as a final "/*" segment, each `{name}` a
/// whole segment with an identifier name, unique within the path. Returns the reason
/// when invalid.
std::variant<route_path_info, std::string> check_route_path(std::string_view path);

/// True when `name` is a C-like identifier (`[A-Za-z_][A-Za-z0-9_]*`).
bool is_identifier(std::string_view name);

}  // namespace conf
