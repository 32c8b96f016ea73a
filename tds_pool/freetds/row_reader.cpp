#include "tds_pool/freetds/row_reader.hpp"

#include "tds_pool/freetds/cell_text.hpp"

#include <sybfront.h>
#include <sybdb.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <span>

namespace tds_pool::detail {
namespace {

template <class T>
T load(const BYTE* data) {
    T value;
    std::memcpy(&value, data, sizeof(T));
    return value;
}

sql_value datetime_value(int type, const BYTE* data) {
    switch (type) {
    case SYBDATETIME: {
        const auto dt = load<DBDATETIME>(data);
        // dttime counts 1/300 s since midnight.
        const auto ticks = static_cast<std::uint64_t>(dt.dttime) * 10'000'000ULL / 300ULL;
        return datetime_from_parts(dt.dtdays, ticks);
    }
    case SYBDATETIME4: {
        const auto dt = load<DBDATETIME4>(data);
        return datetime_from_parts(dt.days, static_cast<std::uint64_t>(dt.minutes) * 600'000'000ULL);
    }
    default: {
        const auto dt = load<DBDATETIMEALL>(data);
        return datetime_from_parts(dt.has_date ? dt.date : 0, dt.has_time ? dt.time : 0);
    }
    }
}

// FreeTDS's SYBUNIQUE (UNIQUEIDENTIFIER): dbcoltype reports it, sybdb.h does not name it.
constexpr int guid_type = 36;

// DATE, TIME and DATETIMEOFFSET come as DBDATETIMEALL (days after 1900-01-01, 100 ns ticks).
sql_value temporal_text(int type, const BYTE* data) {
    const auto dt = load<DBDATETIMEALL>(data);
    switch (type) {
    case SYBMSDATE: return date_text(dt.date);
    case SYBMSTIME: return time_text(dt.time);
    default: return offset_datetime_text(dt.date, dt.time, dt.offset);
    }
}

// MONEY is two 32-bit halves (high first), SMALLMONEY one: counts of 1/10000.
sql_value money_value(const BYTE* data, DBINT length) {
    if (length == 4) {
        return sql_decimal{money_text(load<DBMONEY4>(data).mny4)};
    }
    const auto money = load<DBMONEY>(data);
    const auto bits = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(money.mnyhigh)) << 32) |
                      static_cast<std::uint64_t>(money.mnylow);
    return sql_decimal{money_text(static_cast<std::int64_t>(bits))};
}

// DECIMAL/NUMERIC: FreeTDS's own conversion to text is exact (digit by digit, no double).
sql_value decimal_value(DBPROCESS* proc, int type, const BYTE* data, DBINT length) {
    char buffer[64];
    const DBINT n = dbconvert(proc, type, data, length, SYBCHAR, reinterpret_cast<BYTE*>(buffer),
                              sizeof(buffer));
    if (n < 0) {
        return sql_value{};
    }
    return sql_decimal{std::string(buffer, static_cast<std::size_t>(n))};
}

sql_value converted_text(DBPROCESS* proc, int type, const BYTE* data, DBINT length) {
    char buffer[256];
    const DBINT n = dbconvert(proc, type, data, length, SYBCHAR, reinterpret_cast<BYTE*>(buffer),
                              sizeof(buffer));
    return n < 0 ? sql_value{} : sql_value{std::string(buffer, static_cast<std::size_t>(n))};
}

sql_value read_value(DBPROCESS* proc, int column, int type) {
    const BYTE* data = dbdata(proc, column);
    const DBINT length = dbdatlen(proc, column);
    if (data == nullptr) {
        return {};
    }
    switch (type) {
    case SYBINT1: return std::int64_t{load<std::uint8_t>(data)};
    case SYBINT2: return std::int64_t{load<std::int16_t>(data)};
    case SYBINT4: return std::int64_t{load<std::int32_t>(data)};
    case SYBINT8: return std::int64_t{load<std::int64_t>(data)};
    case SYBFLT8: return load<double>(data);
    case SYBREAL: return static_cast<double>(load<float>(data));
    case SYBBIT: return load<std::uint8_t>(data) != 0;
    default: break;
    }
    switch (classify_column(type)) {
    case column_type::text:
        return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    case column_type::binary: return std::vector<std::uint8_t>(data, data + length);
    case column_type::datetime: return datetime_value(type, data);
    case column_type::date:
    case column_type::time:
    case column_type::datetimeoffset: return temporal_text(type, data);
    case column_type::uuid:
        return length == 16 ? sql_value{uuid_text(std::span<const std::uint8_t, 16>(data, 16))} : sql_value{};
    case column_type::decimal:
        if (type == SYBMONEY || type == SYBMONEY4 || type == SYBMONEYN) return money_value(data, length);
        return decimal_value(proc, type, data, length);
    default: return converted_text(proc, type, data, length);
    }
}

std::vector<column_info> read_columns(DBPROCESS* proc) {
    std::vector<column_info> columns;
    const int count = dbnumcols(proc);
    columns.reserve(static_cast<std::size_t>(count));
    for (int c = 1; c <= count; ++c) {
        const char* name = dbcolname(proc, c);
        const int type = dbcoltype(proc, c);
        columns.push_back({name != nullptr ? name : "", classify_column(type), type});
    }
    return columns;
}

/// The current row's cells; false when the sink refused one of them before it was copied.
bool read_row(DBPROCESS* proc, const std::vector<column_info>& columns, row_sink& sink,
              std::vector<sql_value>& cells) {
    cells.clear();
    for (std::size_t c = 0; c < columns.size(); ++c) {
        const int column = static_cast<int>(c + 1);
        // db-lib already holds the cell; refusing it here saves the copies after it.
        if (!sink.accept_cell(static_cast<std::size_t>(std::max<DBINT>(0, dbdatlen(proc, column))))) {
            return false;
        }
        cells.push_back(read_value(proc, column, columns[c].server_type));
    }
    return true;
}

read_end read_rows(DBPROCESS* proc, const std::vector<column_info>& columns, row_sink& sink) {
    std::vector<sql_value> cells;
    cells.reserve(columns.size());
    for (;;) {
        const STATUS status = dbnextrow(proc);
        if (status == NO_MORE_ROWS) {
            return read_end::complete;
        }
        if (status != REG_ROW) {
            return read_end::failed;  // FAIL: connection lost mid-result, time-out, or compute rows
        }
        if (!read_row(proc, columns, sink, cells) || !sink.row(cells)) {
            return read_end::stopped;
        }
    }
}

}  // namespace

column_type classify_column(int server_type) noexcept {
    switch (server_type) {
    case SYBINT1: case SYBINT2: case SYBINT4: case SYBINT8: case SYBINTN:
        return column_type::integer;
    case SYBFLT8: case SYBREAL: case SYBFLTN:
        return column_type::floating;
    case SYBBIT: case SYBBITN:
        return column_type::boolean;
    case SYBCHAR: case SYBVARCHAR: case SYBTEXT: case SYBNTEXT: case SYBNVARCHAR:
        return column_type::text;
    case SYBBINARY: case SYBVARBINARY: case SYBIMAGE:
        return column_type::binary;
    case SYBDATETIME: case SYBDATETIME4: case SYBDATETIMN: case SYBMSDATETIME2:
        return column_type::datetime;
    case SYBMSDATE:
        return column_type::date;
    case SYBMSTIME:
        return column_type::time;
    case SYBMSDATETIMEOFFSET:
        return column_type::datetimeoffset;
    case guid_type:
        return column_type::uuid;
    case SYBDECIMAL: case SYBNUMERIC: case SYBMONEY: case SYBMONEY4: case SYBMONEYN:
        return column_type::decimal;
    default:
        return column_type::other;
    }
}

sql_datetime datetime_from_parts(std::int64_t days, std::uint64_t ticks_100ns) {
    using namespace std::chrono;
    const sys_days date = sys_days{year{1900} / January / 1} + std::chrono::days{days};
    const year_month_day ymd{date};
    const std::uint64_t seconds = ticks_100ns / 10'000'000ULL;
    sql_datetime dt;
    dt.year = static_cast<int>(ymd.year());
    dt.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    dt.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    dt.hour = static_cast<int>(seconds / 3600U);
    dt.minute = static_cast<int>(seconds / 60U % 60U);
    dt.second = static_cast<int>(seconds % 60U);
    dt.nanosecond = static_cast<std::int32_t>(ticks_100ns % 10'000'000ULL * 100U);
    return dt;
}

read_end read_results(DBPROCESS* proc, row_sink& sink) {
    for (;;) {
        const RETCODE rc = dbresults(proc);
        if (rc == NO_MORE_RESULTS) {
            return read_end::complete;
        }
        if (rc != SUCCEED) {
            return read_end::failed;
        }
        if (dbnumcols(proc) > 0) {
            const std::vector<column_info> columns = read_columns(proc);
            sink.begin_set(columns);
            if (const read_end end = read_rows(proc, columns, sink); end != read_end::complete) {
                return end;
            }
        } else if (const DBINT count = DBCOUNT(proc); count >= 0) {
            sink.rows_affected(count);
        }
    }
}

void skip_buffered_rest(DBPROCESS* proc) {
    // dbcanquery drops the current set's rows; later sets (and their DONE tokens) follow.
    dbcanquery(proc);
    while (dbresults(proc) == SUCCEED) {
        dbcanquery(proc);
    }
}

}  // namespace tds_pool::detail
