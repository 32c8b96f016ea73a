#include "tds_pool/pool_log.hpp"

#include <cstdio>
#include <mutex>

namespace tds_pool {
namespace {

std::mutex sink_mutex;

log_sink& current_sink() {
    static log_sink sink = [](log_severity, std::string_view line) {
        std::fprintf(stderr, "tds_pool: %.*s\n", static_cast<int>(line.size()), line.data());
    };
    return sink;
}

}  // namespace

void set_log_sink(log_sink sink) {
    std::lock_guard lock(sink_mutex);
    current_sink() = std::move(sink);
}

void log_line(log_severity severity, std::string_view line) {
    std::lock_guard lock(sink_mutex);
    if (current_sink()) {
        current_sink()(severity, line);
    }
}

}  // namespace tds_pool
