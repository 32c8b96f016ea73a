#pragma once
// Access-log lines are the one log line per request, so they are queued and written in
// batches, the way nginx's `access_log ... buffer= flush=` and Envoy's access-log flush
// interval do: a write(2) per request cost more CPU than the rest of a small proxied
// exchange. A background thread writes the queue `access_flush_interval` after its
// first line, or as soon as it holds `access_flush_bytes`, so an event loop never waits
// on a slow stdout reader (unless 4 MiB are queued). Queued lines also go out before any
// other log line (stdout keeps its order) and at exit. A crash can lose the last
// interval's access lines; every other line is written at once.

#include <chrono>
#include <cstddef>
#include <string_view>

namespace gateway {

inline constexpr auto access_flush_interval = std::chrono::milliseconds(50);
inline constexpr std::size_t access_flush_bytes = 64 * 1024;

/// Queues one line (a newline is appended) for the next batch.
void queue_line(std::string_view line);

/// Writes the queued lines and then `line` (with a newline), in that order.
void write_line_now(std::string_view line);

}  // namespace gateway
