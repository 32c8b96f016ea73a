#include "gateway/sql/response_budget.hpp"

#include <algorithm>

namespace gateway {

namespace {

// A share grows by at least this much at a time: one atomic update per 64 KiB of body.
constexpr std::size_t share_step = 64 * 1024;

}  // namespace

bool response_budget::try_take(std::size_t bytes) noexcept {
    const std::size_t limit = this->limit();
    std::size_t now = in_use_.load(std::memory_order_relaxed);
    do {
        if (bytes > limit || now > limit - bytes) return false;
    } while (!in_use_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed));
    return true;
}

void response_budget::give_back(std::size_t bytes) noexcept {
    in_use_.fetch_sub(bytes, std::memory_order_relaxed);
}

budget_share::budget_share(budget_share&& other) noexcept
    : budget_(std::move(other.budget_)), held_(std::exchange(other.held_, 0)) {}

budget_share::~budget_share() {
    if (budget_ && held_ > 0) budget_->give_back(held_);
}

bool budget_share::cover(std::size_t bytes) noexcept {
    if (bytes <= held_) return true;
    const std::size_t wanted = std::max(bytes - held_, share_step);
    // Near the limit a whole step may not fit where the bytes themselves still do.
    for (const std::size_t more : {wanted, bytes - held_}) {
        if (budget_->try_take(more)) {
            held_ += more;
            return true;
        }
    }
    return false;
}

void budget_share::shrink_to(std::size_t bytes) noexcept {
    if (bytes >= held_) return;
    budget_->give_back(held_ - bytes);
    held_ = bytes;
}

void write_response_budget_metrics(metrics_writer& w, const response_budget& budget) {
    w.family("tenant_gateway_response_bytes_in_flight",
             "Bytes held by SQL response bodies being built or sent.", "gauge");
    w.sample("tenant_gateway_response_bytes_in_flight", {}, static_cast<double>(budget.in_use()));
    w.family("tenant_gateway_response_bytes_budget", "limits.max_inflight_response_bytes.", "gauge");
    w.sample("tenant_gateway_response_bytes_budget", {}, static_cast<double>(budget.limit()));
    w.family("tenant_gateway_response_budget_refusals_total",
             "SQL requests answered 503 response_budget_exhausted.", "counter");
    w.sample("tenant_gateway_response_budget_refusals_total", {}, static_cast<double>(budget.refusals()));
    w.family("tenant_gateway_result_too_large_total",
             "SQL results refused by max_response_bytes or max_cell_bytes.", "counter");
    w.sample("tenant_gateway_result_too_large_total", {}, static_cast<double>(budget.too_large()));
    w.family("tenant_gateway_sql_rows_read_total",
             "Rows read from tenant databases for SQL routes (at most max_rows + 1 per request).",
             "counter");
    w.sample("tenant_gateway_sql_rows_read_total", {}, static_cast<double>(budget.rows_read()));
}

}  // namespace gateway
