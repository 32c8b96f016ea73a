#include "tds_pool/pool_stats.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tds_pool {

const std::array<double, 13>& latency_histogram::upper_bounds() {
    static const std::array<double, 13> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
    return bounds;
}

void latency_histogram::observe(std::chrono::nanoseconds elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    const auto& bounds = upper_bounds();
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), seconds);
    ++buckets_[static_cast<std::size_t>(it - bounds.begin())];
    ++count_;
    sum_seconds_ += seconds;
}

histogram_snapshot latency_histogram::snapshot() const {
    histogram_snapshot out;
    const auto& bounds = upper_bounds();
    out.upper_bounds.assign(bounds.begin(), bounds.end());
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        running += buckets_[i];
        out.cumulative_counts.push_back(running);
    }
    out.count = count_;
    out.sum_seconds = sum_seconds_;
    return out;
}

void pool_stats::set_gauges(gauges g) {
    std::lock_guard lock(mutex_);
    gauges_ = std::move(g);
}

void pool_stats::record_open(bool ok) {
    std::lock_guard lock(mutex_);
    ++(ok ? opens_ : open_failures_);
}

void pool_stats::record_encryption(std::string_view encryption) {
    std::lock_guard lock(mutex_);
    encryption_ = std::string(encryption);
}

void pool_stats::record_tls_failure(std::string_view reason) {
    std::lock_guard lock(mutex_);
    ++tls_failures_[std::string(reason)];
}

void pool_stats::record_close(std::string_view reason) {
    std::lock_guard lock(mutex_);
    ++closes_[std::string(reason)];
}

void pool_stats::record_reset() {
    std::lock_guard lock(mutex_);
    ++resets_;
}

void pool_stats::record_clean_return() {
    std::lock_guard lock(mutex_);
    ++clean_returns_;
}

void pool_stats::record_discard(std::string_view reason) {
    std::lock_guard lock(mutex_);
    ++discards_[std::string(reason)];
}

void pool_stats::record_acquire_wait(std::chrono::nanoseconds elapsed) {
    std::lock_guard lock(mutex_);
    acquire_wait_.observe(elapsed);
}

void pool_stats::record_query_time(std::chrono::nanoseconds elapsed) {
    std::lock_guard lock(mutex_);
    query_time_.observe(elapsed);
}

void pool_stats::record_error(const db_error& error) {
    std::lock_guard lock(mutex_);
    ++errors_[std::string(code_name(error.code))];
    if (error.code == errc::query_timeout) {
        ++query_timeouts_;
    } else if (error.code == errc::pool_timeout) {
        ++acquire_timeouts_;
    }
    last_error_ = fmt::format("{}: {}", code_name(error.code), error.message);
    last_error_at_ = std::chrono::system_clock::now();
}

void pool_stats::note_error(const db_error& error) {
    std::lock_guard lock(mutex_);
    last_error_ = fmt::format("{}: {}", code_name(error.code), error.message);
    last_error_at_ = std::chrono::system_clock::now();
}

void pool_stats::record_probe(std::optional<std::chrono::microseconds> latency) {
    std::lock_guard lock(mutex_);
    last_probe_at_ = std::chrono::system_clock::now();
    last_probe_ok_ = latency.has_value();
    if (latency) {
        last_probe_latency_ = latency;
    }
}

void pool_stats::fill(pool_snapshot& out) const {
    std::lock_guard lock(mutex_);
    out.idle = gauges_.idle;
    out.busy = gauges_.busy;
    out.opening = gauges_.opening;
    out.resetting = gauges_.resetting;
    out.waiters = gauges_.waiters;
    out.draining = gauges_.draining;
    out.breaker_state = gauges_.breaker_state;
    out.retry_after = gauges_.retry_after;
    out.opens = opens_;
    out.open_failures = open_failures_;
    out.closes_by_reason = closes_;
    out.session_resets = resets_;
    out.clean_returns = clean_returns_;
    out.discards_by_reason = discards_;
    out.acquire_wait = acquire_wait_.snapshot();
    out.query_time = query_time_.snapshot();
    out.query_timeouts = query_timeouts_;
    out.acquire_timeouts = acquire_timeouts_;
    out.errors_by_code = errors_;
    out.tls_failures_by_reason = tls_failures_;
    out.encryption = encryption_;
    out.last_error = last_error_;
    out.last_error_at = last_error_at_;
    out.last_probe_latency = last_probe_latency_;
    out.last_probe_at = last_probe_at_;
    out.last_probe_ok = last_probe_ok_;
    const bool has_connection = gauges_.idle + gauges_.busy > 0;
    out.connected = gauges_.breaker_state == "closed" &&
                    (has_connection || (last_probe_at_.has_value() && last_probe_ok_));
}

}  // namespace tds_pool
