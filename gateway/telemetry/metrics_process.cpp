#include "gateway/telemetry/metrics_process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gateway {

namespace {

std::optional<std::uint64_t> resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size_pages = 0, resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
    const long page = ::sysconf(_SC_PAGESIZE);
    return resident_pages * static_cast<std::uint64_t>(page > 0 ? page : 4096);
}

std::optional<std::uint64_t> open_fds() {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/self/fd", ec);
    if (ec) return std::nullopt;
    std::uint64_t count = 0;
    for (const auto end = std::filesystem::directory_iterator(); it != end; it.increment(ec)) {
        if (ec) return std::nullopt;
        ++count;
    }
    // The iterator's own descriptor is counted; it is closed again by now.
    return count > 0 ? count - 1 : 0;
}

std::optional<std::uint64_t> max_fds() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace

process_figures read_process_figures() {
    return {resident_bytes(), open_fds(), max_fds()};
}

}  // namespace gateway
