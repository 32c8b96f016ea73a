#pragma once
// The executable's top-level actions, kept out of main.cpp so tests can link them.

#include <string>
#include <string_view>

namespace gateway {

/// The version string printed by --version.
std::string_view version() noexcept;

/// --check-config: loads and validates; prints "config OK: FILE" and returns 0, or
/// prints the file:line:col error on stderr and returns 1.
int check_config(const std::string& path);

/// --openapi: loads and validates like check_config, then prints the OpenAPI document
/// of the configuration (the text /openapi.json serves) and a newline; returns 0, or 1
/// with the file:line:col error on stderr.
int print_openapi(const std::string& path);

/// Serves until stopped by SIGTERM/SIGINT; returns the process exit code.
int serve(const std::string& path);

}  // namespace gateway
