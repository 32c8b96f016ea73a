#include "gateway/access_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "gateway/log.hpp"
#include "gateway/log_buffer.hpp"

namespace gateway {

std::string_view path_without_query(std::string_view target) noexcept {
    return target.substr(0, target.find_first_of("?#"));
}

std::string format_access(const access_entry& entry) {
    using namespace std::chrono;
    const auto elapsed = duration<double, std::milli>(steady_clock::now() - entry.started);
    boost::json::object line;
    line["time"] = iso_time_now();
    line["level"] = "info";
    line["msg"] = "access";
    line["request_id"] = entry.request_id;
    line["tenant"] = entry.tenant ? boost::json::value(*entry.tenant) : boost::json::value(nullptr);
    line["route"] = entry.route ? boost::json::value(*entry.route) : boost::json::value(nullptr);
    line["method"] = entry.method;
    line["path"] = path_without_query(entry.path);
    line["status"] = entry.status;
    line["bytes"] = entry.bytes;
    // Boost.JSON prints doubles as 1.5E0; append the duration as plain 1.500 instead.
    std::string text = boost::json::serialize(line);
    text.pop_back();
    text += fmt::format(",\"duration_ms\":{:.3f}}}", elapsed.count());
    return text;
}

void log_access(const access_entry& entry) { queue_line(format_access(entry)); }

}  // namespace gateway
