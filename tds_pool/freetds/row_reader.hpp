#pragma once
// Reads every result set of the current command from a DBPROCESS, one row at a time,
// into a row_sink.

#include "tds_pool/row_sink.hpp"
#include "tds_pool/sql_value.hpp"

struct tds_dblib_dbprocess;

namespace tds_pool::detail {

/// Maps a FreeTDS column type (SYBINT4, SYBMSDATETIME2, ...) to its type family.
column_type classify_column(int server_type) noexcept;

/// Calendar date `days` after 1900-01-01 (negative: before) plus a time of day in
/// 100 ns units, the layout of DBDATETIMEALL.
sql_datetime datetime_from_parts(std::int64_t days, std::uint64_t ticks_100ns);

/// How a read through a sink ended.
enum class read_end {
    complete,  ///< every result set was read
    stopped,   ///< the sink refused a cell or a row: the rest of the reply is unread
    failed,    ///< db-lib reported a failure (a failed statement, a time-out, a lost connection)
};

/// Hands dbresults/dbnextrow to `sink` row by row until the reply ends, fails or the
/// sink stops it.
read_end read_results(tds_dblib_dbprocess* proc, row_sink& sink);

/// Skips the rest of a stopped reply without ATTENTION: only for a reply that is
/// wholly in the socket buffer (then nothing here waits for the server).
void skip_buffered_rest(tds_dblib_dbprocess* proc);

}  // namespace tds_pool::detail
