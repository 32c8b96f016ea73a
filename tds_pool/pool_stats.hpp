#pragma once
// Per-pool statistics for /health and /metrics. Counters and histograms are written from
// the tenant's strand and from request coroutines, so one mutex guards them; snapshot()
// copies them out. Histograms use fixed buckets in seconds with cumulative counts and a
// sum, which map one-to-one onto a Prometheus histogram.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tds_pool/outcome.hpp"

namespace tds_pool {

/// A histogram copied out: upper bounds (seconds, +Inf implied last), cumulative counts.
struct histogram_snapshot {
    std::vector<double> upper_bounds;            ///< seconds; the +Inf bucket is `count`
    std::vector<std::uint64_t> cumulative_counts;  ///< one per upper bound
    std::uint64_t count = 0;
    double sum_seconds = 0.0;
};

/// Fixed-bucket latency histogram (1 ms .. 10 s); not thread-safe on its own.
class latency_histogram {
public:
    /// The bucket upper bounds in seconds.
    static const std::array<double, 13>& upper_bounds();
    /// Counts one observation.
    void observe(std::chrono::nanoseconds elapsed);
    /// Cumulative copy.
    histogram_snapshot snapshot() const;

private:
    std::array<std::uint64_t, 14> buckets_{};  ///< last one is +Inf
    std::uint64_t count_ = 0;
    double sum_seconds_ = 0.0;
};

/// Everything /health and /metrics show about one tenant's pool.
struct pool_snapshot {
    std::string tenant;
    std::string server;
    std::uint16_t port = 0;
    std::string database;
    bool draining = false;
    std::size_t max_size = 0;
    std::size_t idle = 0;
    std::size_t busy = 0;
    std::size_t opening = 0;
    std::size_t resetting = 0;  ///< returned, session being reset before reuse
    std::size_t waiters = 0;
    std::uint64_t opens = 0;
    std::uint64_t open_failures = 0;
    std::map<std::string, std::uint64_t> closes_by_reason;
    std::uint64_t session_resets = 0;  ///< leases whose session was reset and reused
    /// Leases reused without a reset: nothing they ran can have changed the session.
    std::uint64_t clean_returns = 0;
    std::map<std::string, std::uint64_t> discards_by_reason;  ///< leased connections not reused
    histogram_snapshot acquire_wait;
    histogram_snapshot query_time;
    std::uint64_t query_timeouts = 0;
    std::uint64_t acquire_timeouts = 0;
    std::map<std::string, std::uint64_t> errors_by_code;
    /// Connection opens refused for TLS, by reason ("not_offered", "certificate_expired"...).
    std::map<std::string, std::uint64_t> tls_failures_by_reason;
    /// How the last connection opened travels: "verified", "encrypted", "not_required";
    /// empty before the first open.
    std::string encryption;
    std::string breaker_state = "closed";
    std::chrono::milliseconds retry_after{0};
    std::string last_error;  ///< code and message, no credentials
    std::optional<std::chrono::system_clock::time_point> last_error_at;
    std::optional<std::chrono::microseconds> last_probe_latency;
    std::optional<std::chrono::system_clock::time_point> last_probe_at;
    bool last_probe_ok = false;
    /// Reachable as far as the pool knows: breaker closed and a live connection or a
    /// successful last probe.
    bool connected = false;
};

/// The mutable counters behind pool_snapshot.
class pool_stats {
public:
    /// Gauges published from the tenant's strand after each change.
    struct gauges {
        std::size_t idle = 0, busy = 0, opening = 0, resetting = 0, waiters = 0;
        bool draining = false;
        std::string breaker_state = "closed";
        std::chrono::milliseconds retry_after{0};
    };

    void set_gauges(gauges g);
    void record_open(bool ok);
    /// A connection opened, travelling as `encryption` (link_encryption_name).
    void record_encryption(std::string_view encryption);
    /// An open refused for TLS, for `reason`.
    void record_tls_failure(std::string_view reason);
    void record_close(std::string_view reason);
    /// A lease's session was reset: the connection goes back to the idle list.
    void record_reset();
    /// A lease came back needing no reset: the connection goes straight back to idle.
    void record_clean_return();
    /// A leased connection is closed instead of reused, for `reason`.
    void record_discard(std::string_view reason);
    void record_acquire_wait(std::chrono::nanoseconds elapsed);
    void record_query_time(std::chrono::nanoseconds elapsed);
    /// Counts the error by code and remembers it as the last error.
    void record_error(const db_error& error);
    /// Remembers the error as the last error without counting it (a failed open is
    /// counted when it reaches a request).
    void note_error(const db_error& error);
    void record_probe(std::optional<std::chrono::microseconds> latency);

    /// Copies everything into `out` (identity fields are the caller's).
    void fill(pool_snapshot& out) const;

private:
    mutable std::mutex mutex_;
    gauges gauges_;
    std::uint64_t opens_ = 0, open_failures_ = 0, query_timeouts_ = 0, acquire_timeouts_ = 0;
    std::uint64_t resets_ = 0, clean_returns_ = 0;
    std::map<std::string, std::uint64_t> closes_, errors_, discards_, tls_failures_;
    std::string encryption_;
    latency_histogram acquire_wait_, query_time_;
    std::string last_error_;
    std::optional<std::chrono::system_clock::time_point> last_error_at_;
    std::optional<std::chrono::microseconds> last_probe_latency_;
    std::optional<std::chrono::system_clock::time_point> last_probe_at_;
    bool last_probe_ok_ = false;
};

}  // namespace tds_pool
