#pragma once
// Where a reply's rows go while db-lib reads them. A caller that turns rows into
// something else (JSON text) takes them one at a time and never holds the result as
// values; it can also stop the read, and the connection then cancels the rest of the
// reply so that it stays usable for the next lease.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "tds_pool/sql_value.hpp"

namespace tds_pool {

/// Receives one reply, result set by result set, row by row; called on one thread at a time.
class row_sink {
public:
    virtual ~row_sink() = default;

    /// A result set begins with these columns.
    virtual void begin_set(const std::vector<column_info>& columns) = 0;
    /// True when a cell of `bytes` bytes (as db-lib holds it) may be converted; false
    /// stops the read before the cell is copied.
    virtual bool accept_cell(std::size_t bytes) = 0;
    /// One row of the current set (the sink may move the cells away); false stops the
    /// read, the rest of the reply is then cancelled.
    virtual bool row(std::vector<sql_value>& cells) = 0;
    /// A statement without a result set reported how many rows it touched.
    virtual void rows_affected(std::int64_t count) = 0;
};

/// Keeps the whole reply as values: for small replies (probes, logins, session resets).
class result_collector final : public row_sink {
public:
    void begin_set(const std::vector<column_info>& columns) override {
        result.sets.push_back(row_set{columns, {}});
    }
    bool accept_cell(std::size_t) override { return true; }
    bool row(std::vector<sql_value>& cells) override {
        result.sets.back().rows.push_back(std::move(cells));
        return true;
    }
    void rows_affected(std::int64_t count) override { result.rows_affected.push_back(count); }

    query_result result;
};

}  // namespace tds_pool
