#pragma once
// Where the pool's log lines go (connection closes with their reason, open failures,
// breaker changes). Standard error by default; the gateway installs its own logger.

#include <functional>
#include <string_view>

namespace tds_pool {

/// How much a pool line matters.
enum class log_severity { debug, info, warn, error };

/// Receives one formatted log line with its severity; must be thread-safe.
using log_sink = std::function<void(log_severity severity, std::string_view line)>;

/// Replaces the sink (an empty function silences the pool).
void set_log_sink(log_sink sink);

/// Writes one line through the current sink.
void log_line(log_severity severity, std::string_view line);
/// Writes one informational line through the current sink.
inline void log_line(std::string_view line) { log_line(log_severity::info, line); }

}  // namespace tds_pool
