#pragma once
// A SQL route's reply written as JSON text while db-lib reads it, row by row: no row is
// kept as values and no second copy of the body is made. The sink also enforces the
// route's bounds: it stops the read at row max_rows + 1 (the connection cancels the
// rest), refuses a cell above max_cell_bytes before it is copied, refuses a body above
// max_response_bytes, and holds the body's bytes against the process-wide budget: after
// the first row, as much as the rows to come would take (rows are alike in size), then
// whatever the body grows beyond that. Only the first result set is written (`many`, `one`); later sets are read and dropped.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "gateway/sql/response_budget.hpp"
#include "gateway/sql/result_json_text.hpp"
#include "tds_pool/row_sink.hpp"

namespace gateway {

/// The bounds of one route's result.
struct result_bounds {
    conf::result_mode mode = conf::result_mode::many;
    std::size_t max_rows = 1000;
    std::size_t max_response_bytes = 16 * 1024 * 1024;
    std::size_t max_cell_bytes = 4 * 1024 * 1024;
    number_forms numbers{};  ///< decimal_as / bigint_as

    /// The route's bounds, its own overriding those of `limits`.
    static result_bounds of(const conf::route_config& route, const conf::limits_config& limits);
};

/// How the read ended, as the sink saw it.
enum class result_end {
    complete,          ///< every row written
    truncated,         ///< max_rows written, more existed (only `many` says so)
    body_too_large,    ///< the body would pass max_response_bytes
    cell_too_large,    ///< a value passed max_cell_bytes
    budget_exhausted,  ///< the process-wide budget could not hold the body
};

/// Writes the first result set as JSON text; one per request, used by one thread at a time.
class json_result_sink final : public tds_pool::row_sink {
public:
    /// The body's bytes are held in `share` as it grows.
    json_result_sink(result_bounds bounds, budget_share& share);
    json_result_sink(const json_result_sink&) = delete;
    json_result_sink& operator=(const json_result_sink&) = delete;

    void begin_set(const std::vector<tds_pool::column_info>& columns) override;
    bool accept_cell(std::size_t bytes) override;
    bool row(std::vector<tds_pool::sql_value>& cells) override;
    void rows_affected(std::int64_t count) override { rows_affected_ += count; }

    /// Why the read ended (complete until the sink stops it).
    result_end end() const noexcept { return end_; }
    /// Rows db-lib handed over, the one that showed truncation included.
    std::uint64_t rows_read() const noexcept { return rows_read_; }
    /// Rows written into the body.
    std::size_t rows_written() const noexcept { return rows_written_; }
    /// Sum of the statements' row counts (`exec`).
    std::int64_t rows_affected() const noexcept { return rows_affected_; }
    /// The finished body: `many` a JSON array, `one` an object (empty without a row).
    std::string take_body();

private:
    bool writing() const noexcept { return sets_ == 1 && bounds_.mode != conf::result_mode::exec; }
    std::size_t row_limit() const noexcept;
    bool stop(result_end why) noexcept;
    bool reserve_after_first_row();

    result_bounds bounds_;
    budget_share& share_;
    tds_pool::row_set set_;  ///< the first set's columns (no rows)
    std::optional<row_object_writer> writer_;
    std::string body_;
    result_end end_ = result_end::complete;
    std::size_t sets_ = 0;
    std::size_t cells_in_row_ = 0;
    std::size_t row_value_bytes_ = 0;  ///< the current row's values so far, all held at once
    std::size_t rows_written_ = 0;
    std::size_t first_row_bytes_ = 0;  ///< the first row's JSON, a comma included
    std::size_t reserve_bytes_ = 0;    ///< the body's capacity once a second row comes
    std::uint64_t rows_read_ = 0;
    std::int64_t rows_affected_ = 0;
};

}  // namespace gateway
