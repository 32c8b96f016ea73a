#pragma once
// The one access-log line written per answered request.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gateway {

/// What the access log records about one request.
struct access_entry {
    std::string request_id;
    std::string client;                 ///< the real client's address (see client_origin)
    std::optional<std::string> tenant;  ///< resolved company code
    std::optional<std::string> route;   ///< matched route pattern
    std::string method;
    std::string path;                   ///< never the query string: it may carry secrets
    unsigned status = 0;
    std::size_t bytes = 0;              ///< response body bytes sent
    std::chrono::steady_clock::time_point started{};
};

/// The target without its query string (and fragment), as logged.
std::string_view path_without_query(std::string_view target) noexcept;

/// The access-log JSON line of an entry (without the newline); duration measured now.
std::string format_access(const access_entry& entry);

/// Queues the access-log line of an entry for stdout (written within 50 ms).
void log_access(const access_entry& entry);

}  // namespace gateway
