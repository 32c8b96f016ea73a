#pragma once
// Where the pool's log lines go (connection closes with their reason, open failures,
// breaker changes). Standard error by default; the gateway installs its own logger.

#include <functional>
#include <string_view>

namespace tds_pool {

/// Receives one formatted log line; must be thread-safe.
using log_sink = std::function<void(std::string_view line)>;

/// Replaces the sink (an empty function silences the pool).
void set_log_sink(log_sink sink);

/// Writes one line through the current sink.
void log_line(std::string_view line);

}  // namespace tds_pool
