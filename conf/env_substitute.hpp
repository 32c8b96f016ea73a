#pragma once
// `${ENV_VAR}` substitution in configuration string values.

#include <string>
#include <string_view>
#include <variant>

namespace conf {

/// Why a substitution failed; never carries the value of any variable.
struct substitution_error {
    std::string message;  ///< e.g. "environment variable DB_HOST is not set"
};

/// Replaces each `${NAME}` with the environment variable NAME and each `$$` with `$`.
/// A `$` followed by anything else is kept as it is.
std::variant<std::string, substitution_error> substitute_env(std::string_view text);

}  // namespace conf
