#pragma once
// Loading and validating the YAML configuration.

#include <stdexcept>
#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace conf {

/// A configuration that cannot be used; what() is "file:line:col: message".
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Reads, substitutes `${ENV}`, parses and validates a configuration file.
/// Throws config_error on anything wrong, naming the first bad place.
config load_file(const std::string& path);

/// Same as load_file for YAML text already in memory; `name` stands for the file name
/// in error messages.
config load_string(std::string_view yaml_text, std::string_view name = "<string>");

/// Parses "250ms", "5s", "2m", "1h" (also "0"); std::nullopt when malformed.
std::optional<duration> parse_duration(std::string_view text);

}  // namespace conf
