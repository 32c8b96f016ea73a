#include "gateway/sql/result_sink.hpp"

#include <algorithm>

namespace gateway {

result_bounds result_bounds::of(const conf::route_config& route, const conf::limits_config& limits) {
    const auto as_string = [](std::optional<conf::number_form> own, conf::number_form global) {
        return own.value_or(global) == conf::number_form::string;
    };
    return {route.result, route.max_rows, route.max_response_bytes.value_or(limits.max_response_bytes),
            route.max_cell_bytes.value_or(limits.max_cell_bytes),
            number_forms{as_string(route.decimal_as, limits.decimal_as), as_string(route.bigint_as, limits.bigint_as)}};
}

json_result_sink::json_result_sink(result_bounds bounds, budget_share& share)
    : bounds_(bounds), share_(share) {}

std::size_t json_result_sink::row_limit() const noexcept {
    return bounds_.mode == conf::result_mode::one ? 1 : bounds_.max_rows;
}

bool json_result_sink::stop(result_end why) noexcept {
    end_ = why;
    return false;
}

void json_result_sink::begin_set(const std::vector<tds_pool::column_info>& columns) {
    ++sets_;
    if (!writing()) return;
    set_.columns = columns;
    writer_.emplace(set_, bounds_.numbers);
    if (bounds_.mode == conf::result_mode::many) body_ += '[';
}

bool json_result_sink::accept_cell(std::size_t bytes) {
    if (cells_in_row_++ == 0) ++rows_read_;
    row_value_bytes_ += bytes;
    // Every cell is copied once before it is written or dropped, so the cap holds for all.
    if (bytes > bounds_.max_cell_bytes) return stop(result_end::cell_too_large);
    if (!writing()) return true;
    // A row past the limit only shows that the result goes on: no need to read it.
    if (rows_written_ >= row_limit()) return stop(result_end::truncated);
    // The row's values are all held until the row is written, and its JSON is at least
    // as long as they are: a row of many wide cells could not fit either.
    if (body_.size() + row_value_bytes_ >= bounds_.max_response_bytes) return stop(result_end::body_too_large);
    return true;
}

bool json_result_sink::row(std::vector<tds_pool::sql_value>& cells) {
    cells_in_row_ = 0;
    row_value_bytes_ = 0;
    if (!writing()) return true;
    if (rows_written_ > 0) {
        // The body outgrows its first allocation: take the whole expected size at once,
        // instead of regrowth whose copies would each hold the old and the new body.
        if (body_.capacity() - body_.size() < first_row_bytes_) body_.reserve(reserve_bytes_);
        body_ += ',';
    }
    writer_->append(body_, cells);
    ++rows_written_;
    // One byte stays free for the closing bracket of `many`.
    if (body_.size() >= bounds_.max_response_bytes) return stop(result_end::body_too_large);
    if (rows_written_ == 1 && !reserve_after_first_row()) return stop(result_end::budget_exhausted);
    if (!share_.cover(body_.size() + 1)) return stop(result_end::budget_exhausted);
    return true;
}

bool json_result_sink::reserve_after_first_row() {
    // Rows are alike in size, so the first one tells what the body may become. Taking
    // that share now refuses a request after one row, rather than after many rows of
    // several requests that all grew at once and then all ran out.
    const std::size_t per_row = body_.size() + 1;
    const std::size_t rows = std::min(row_limit(), bounds_.max_response_bytes / per_row + 1);
    const std::size_t expected = std::min(per_row * rows, bounds_.max_response_bytes);
    if (!share_.cover(expected)) return false;
    // Reserved only if a second row comes (most results are small); pages nobody writes
    // cost no resident memory.
    first_row_bytes_ = per_row;
    reserve_bytes_ = std::min(expected + expected / 4, bounds_.max_response_bytes + 1);
    return true;
}

std::string json_result_sink::take_body() {
    if (bounds_.mode == conf::result_mode::many) {
        if (sets_ == 0) body_ += '[';
        body_ += ']';
    }
    return std::move(body_);
}

}  // namespace gateway
