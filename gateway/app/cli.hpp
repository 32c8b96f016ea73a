#pragma once
// Command-line parsing of the tenant-gateway executable.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace gateway {

/// What the executable was asked to do.
enum class cli_action { serve, check_config, openapi, version, help };

/// A well-formed command line.
struct cli_options {
    cli_action action = cli_action::serve;
    std::string config_path;
};

/// A command line that cannot be obeyed; `message` says why.
struct cli_error {
    std::string message;
};

/// Parses the arguments after the program name. Accepted: --config FILE (or
/// --config=FILE), --check-config [FILE], --version, --help / -h.
std::variant<cli_options, cli_error> parse_cli(std::span<const std::string_view> args);

/// The --help text.
std::string_view usage_text() noexcept;

}  // namespace gateway
