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

/// Serves until stopped by SIGTERM/SIGINT; returns the process exit code.
int serve(const std::string& path);

}  // namespace gateway
