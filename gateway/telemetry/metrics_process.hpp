#pragma once
// Process figures from /proc for /metrics: resident memory, open file descriptors and
// the start time.

#include <cstdint>
#include <optional>

namespace gateway {

/// One reading; a field is empty when /proc could not be read.
struct process_figures {
    std::optional<std::uint64_t> resident_bytes;  ///< from /proc/self/statm
    std::optional<std::uint64_t> open_fds;        ///< entries of /proc/self/fd
    std::optional<std::uint64_t> max_fds;         ///< soft RLIMIT_NOFILE
};

/// Reads the figures now (a few small file reads, no locks).
process_figures read_process_figures();

}  // namespace gateway
