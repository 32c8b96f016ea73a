#include "gateway/telemetry/log.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <iterator>

#include <boost/json/serialize.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "gateway/telemetry/log_buffer.hpp"

namespace gateway {

void write_line(std::string line) { write_line_now(line); }

std::string iso_time_now() { return iso_time(std::chrono::system_clock::now()); }

std::string iso_time(std::chrono::system_clock::time_point t) {
    std::string out;
    append_iso_time(out, t);
    return out;
}

void append_iso_time(std::string& out, std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const std::time_t secs = system_clock::to_time_t(t);
    const auto millis = static_cast<int>(duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000);
    // Every access line asks; the calendar part changes once a second, so each thread
    // formats it once a second, and the milliseconds are three digits put by hand.
    thread_local std::time_t cached_second = -1;
    thread_local std::string cached_prefix;
    if (secs != cached_second) {
        cached_prefix = fmt::format("{:%FT%T}", fmt::gmtime(secs));
        cached_second = secs;
    }
    out += cached_prefix;
    out += '.';
    out += static_cast<char>('0' + millis / 100);
    out += static_cast<char>('0' + millis / 10 % 10);
    out += static_cast<char>('0' + millis % 10);
    out += 'Z';
}

namespace {

std::atomic<int> lowest_level{static_cast<int>(conf::log_level::info)};
std::atomic<bool> access_on{true};

/// The level of a line by its name; unknown names are written (as errors are).
conf::log_level level_of(std::string_view name) noexcept {
    if (name == "debug") return conf::log_level::debug;
    if (name == "info") return conf::log_level::info;
    if (name == "warn") return conf::log_level::warn;
    return conf::log_level::error;
}

}  // namespace

void set_log_options(const conf::log_config& options) {
    lowest_level.store(static_cast<int>(options.level));
    access_on.store(options.access);
}

bool access_log_enabled() noexcept { return access_on.load(std::memory_order_relaxed); }

void log_event(std::string_view level, std::string_view msg, boost::json::object fields) {
    if (static_cast<int>(level_of(level)) < lowest_level.load(std::memory_order_relaxed)) return;
    boost::json::object line;
    line["time"] = iso_time_now();
    line["level"] = level;
    line["msg"] = msg;
    for (auto& field : fields) line[field.key()] = std::move(field.value());
    write_line(boost::json::serialize(line));
}

}  // namespace gateway
