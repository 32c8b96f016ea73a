#pragma once
// One line per event on stderr, whole lines even when threads log at once.
#include <fmt/format.h>

#include <string_view>

namespace tdsd {

/// Writes "tdsd: <line>" to stderr atomically.
void log_line(std::string_view line);

/// Formats and logs one event.
template <typename... Args>
void log_event(fmt::format_string<Args...> format, Args&&... args) {
  log_line(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tdsd
