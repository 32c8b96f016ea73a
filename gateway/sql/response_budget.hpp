#pragma once
// The process-wide budget of bytes held by SQL response bodies, from the first row
// written until the last byte is handed to the client (limits.max_inflight_response_bytes).
// A body takes its share as it grows, so small responses never wait for large ones; when
// the budget is spent, new SQL requests are refused with 503 instead of taking more memory,
// and a body that cannot grow further is abandoned the same way.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "gateway/telemetry/metrics_text.hpp"

namespace gateway {

/// Bytes held by response bodies, and what was refused for want of them; thread-safe.
class response_budget {
public:
    /// The budget (limits.max_inflight_response_bytes), set at start-up and on reloads.
    void set_limit(std::size_t limit) noexcept { limit_.store(limit, std::memory_order_relaxed); }
    std::size_t limit() const noexcept { return limit_.load(std::memory_order_relaxed); }
    /// Takes `bytes` more when the total then stays within the limit; false (nothing taken) otherwise.
    bool try_take(std::size_t bytes) noexcept;
    /// Returns `bytes` taken before.
    void give_back(std::size_t bytes) noexcept;
    /// True while the bytes held are below the limit: a new request may start.
    bool has_room() const noexcept { return in_use() < limit(); }
    /// Bytes held now.
    std::size_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }

    /// Counts a request refused (or abandoned) because the budget was spent.
    void count_refusal() noexcept { refusals_.fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t refusals() const noexcept { return refusals_.load(std::memory_order_relaxed); }
    /// Counts a result refused by max_response_bytes or max_cell_bytes.
    void count_too_large() noexcept { too_large_.fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t too_large() const noexcept { return too_large_.load(std::memory_order_relaxed); }
    /// Counts rows db-lib handed over for SQL routes (what max_rows bounds).
    void count_rows_read(std::uint64_t rows) noexcept { rows_read_.fetch_add(rows, std::memory_order_relaxed); }
    std::uint64_t rows_read() const noexcept { return rows_read_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::size_t> limit_{256 * 1024 * 1024};
    std::atomic<std::size_t> in_use_{0};
    std::atomic<std::uint64_t> refusals_{0};
    std::atomic<std::uint64_t> too_large_{0};
    std::atomic<std::uint64_t> rows_read_{0};
};

/// One response's share of the budget; given back when destroyed. Move-only.
class budget_share {
public:
    /// An empty share of `budget`.
    explicit budget_share(std::shared_ptr<response_budget> budget) noexcept : budget_(std::move(budget)) {}
    budget_share(budget_share&& other) noexcept;
    budget_share& operator=(budget_share&&) = delete;
    budget_share(const budget_share&) = delete;
    budget_share& operator=(const budget_share&) = delete;
    ~budget_share();

    /// Grows the share to hold at least `bytes` (in steps, to keep the shared counter
    /// quiet); false when the budget cannot give that much.
    bool cover(std::size_t bytes) noexcept;
    /// Gives back everything above `bytes`.
    void shrink_to(std::size_t bytes) noexcept;
    /// Bytes held by this share.
    std::size_t held() const noexcept { return held_; }

private:
    std::shared_ptr<response_budget> budget_;
    std::size_t held_ = 0;
};

/// The budget's families for /metrics.
void write_response_budget_metrics(metrics_writer& w, const response_budget& budget);

}  // namespace gateway
