#pragma once
// Structured logging: every line on stdout is one JSON object, written whole, so lines
// from different threads never interleave. Access-log lines are batched
// (gateway/telemetry/log_buffer.hpp); every other line is written at once.

#include <chrono>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "conf/config.hpp"

namespace gateway {

/// Writes one already formatted line (a newline is appended) to stdout now, after any
/// queued access-log lines.
void write_line(std::string line);

/// The current time as ISO-8601 UTC with milliseconds: "2026-11-27T07:24:09.123Z".
std::string iso_time_now();

/// `t` as iso_time_now writes it (the calendar part is cached per thread and second).
std::string iso_time(std::chrono::system_clock::time_point t);

/// The same, appended to `out` (no string of its own: every access line asks).
void append_iso_time(std::string& out, std::chrono::system_clock::time_point t);

/// Applies `log:` of the configuration: the lowest level written, access lines on/off.
/// Safe to call while other threads log (a reload).
void set_log_options(const conf::log_config& options);

/// False when `log.access` turned the access log off.
bool access_log_enabled() noexcept;

/// Logs {"time","level","msg", ...fields} as one JSON line.
void log_event(std::string_view level, std::string_view msg,
               boost::json::object fields = {});

/// Logs detail useful while debugging (written only with `log.level: debug`).
inline void log_debug(std::string_view msg, boost::json::object fields = {}) {
    log_event("debug", msg, std::move(fields));
}

/// Logs an informational event.
inline void log_info(std::string_view msg, boost::json::object fields = {}) {
    log_event("info", msg, std::move(fields));
}

/// Logs something an operator should look at.
inline void log_warn(std::string_view msg, boost::json::object fields = {}) {
    log_event("warn", msg, std::move(fields));
}

/// Logs a failure.
inline void log_error(std::string_view msg, boost::json::object fields = {}) {
    log_event("error", msg, std::move(fields));
}

}  // namespace gateway
