#include "gateway/telemetry/access_log.hpp"

#include <chrono>
#include <iterator>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "gateway/telemetry/json_text.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/log_buffer.hpp"
#include "router/utf8.hpp"

namespace gateway {

std::string_view path_without_query(std::string_view target) noexcept {
    return target.substr(0, target.find_first_of("?#"));
}

namespace {

/// `,"key":` then the value as a JSON string.
void append_field(std::string& out, std::string_view key, std::string_view value) {
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, value);
}

/// `,"key":` then the value as a JSON string, or null.
void append_field(std::string& out, std::string_view key, const std::optional<std::string>& value) {
    if (value) {
        append_field(out, key, std::string_view(*value));
        return;
    }
    out += ",\"";
    out += key;
    out += "\":null";
}

/// `,"key":` then client text as a JSON string: ill-formed UTF-8 (raw bytes in a target)
/// becomes U+FFFD so that the line stays valid JSON; valid text is not copied.
void append_client_field(std::string& out, std::string_view key, std::string_view value) {
    if (router::is_valid_utf8(value)) {
        append_field(out, key, value);
        return;
    }
    const std::string repaired = router::to_valid_utf8(value);
    append_field(out, key, std::string_view(repaired));
}

/// Appends the entry's line to `line`.
void append_access(std::string& line, const access_entry& entry) {
    using namespace std::chrono;
    const auto elapsed = duration<double, std::milli>(steady_clock::now() - entry.started);
    // Written as text, field by field: a JSON value built per request showed up in the
    // proxy's profile. The fields and their order are those of every other log line.
    line += "{\"time\":\"";
    append_iso_time(line, std::chrono::system_clock::now());
    line += "\",\"level\":\"info\",\"msg\":\"access\"";
    append_field(line, "request_id", std::string_view(entry.request_id));
    if (!entry.client.empty()) append_field(line, "client", std::string_view(entry.client));
    append_field(line, "tenant", entry.tenant);
    append_field(line, "route", entry.route);
    append_client_field(line, "method", entry.method);
    append_client_field(line, "path", path_without_query(entry.path));
    fmt::format_to(std::back_inserter(line), FMT_COMPILE(",\"status\":{},\"bytes\":{},\"duration_ms\":{:.3f}}}"),
                   entry.status, entry.bytes, elapsed.count());
}

}  // namespace

std::string format_access(const access_entry& entry) {
    std::string line;
    line.reserve(256);
    append_access(line, entry);
    return line;
}

void log_access(const access_entry& entry) {
    if (!access_log_enabled()) return;
    // Formatted into this thread's scratch text, which keeps its capacity: no
    // allocation per line.
    thread_local std::string line;
    line.clear();
    append_access(line, entry);
    queue_line(line);
}

}  // namespace gateway
