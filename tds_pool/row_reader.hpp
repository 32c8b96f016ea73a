#pragma once
// Reads every result set of the current command from a DBPROCESS into typed row sets.

#include "tds_pool/sql_value.hpp"

struct tds_dblib_dbprocess;

namespace tds_pool::detail {

/// Maps a FreeTDS column type (SYBINT4, SYBMSDATETIME2, ...) to its type family.
column_type classify_column(int server_type) noexcept;

/// Calendar date `days` after 1900-01-01 (negative: before) plus a time of day in
/// 100 ns units, the layout of DBDATETIMEALL.
sql_datetime datetime_from_parts(std::int64_t days, std::uint64_t ticks_100ns);

/// Drains dbresults/dbnextrow into `out`; false as soon as db-lib reports a failure
/// (a failed statement, a time-out or a lost connection).
bool read_results(tds_dblib_dbprocess* proc, query_result& out);

}  // namespace tds_pool::detail
