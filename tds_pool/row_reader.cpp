#include "tds_pool/row_reader.hpp"

#include <sybfront.h>
#include <sybdb.h>

#include <chrono>
#include <cstring>

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
    default: return converted_text(proc, type, data, length);
    }
}

row_set read_columns(DBPROCESS* proc) {
    row_set set;
    const int count = dbnumcols(proc);
    set.columns.reserve(static_cast<std::size_t>(count));
    for (int c = 1; c <= count; ++c) {
        const char* name = dbcolname(proc, c);
        const int type = dbcoltype(proc, c);
        set.columns.push_back({name != nullptr ? name : "", classify_column(type), type});
    }
    return set;
}

bool read_rows(DBPROCESS* proc, row_set& set) {
    for (;;) {
        const STATUS status = dbnextrow(proc);
        if (status == NO_MORE_ROWS) {
            return true;
        }
        if (status != REG_ROW) {
            return false;  // FAIL: connection lost mid-result, time-out, or compute rows
        }
        std::vector<sql_value> row;
        row.reserve(set.columns.size());
        for (std::size_t c = 0; c < set.columns.size(); ++c) {
            row.push_back(read_value(proc, static_cast<int>(c + 1), set.columns[c].server_type));
        }
        set.rows.push_back(std::move(row));
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
    case SYBMSDATE:
        return column_type::datetime;
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

bool read_results(DBPROCESS* proc, query_result& out) {
    for (;;) {
        const RETCODE rc = dbresults(proc);
        if (rc == NO_MORE_RESULTS) {
            return true;
        }
        if (rc != SUCCEED) {
            return false;
        }
        if (dbnumcols(proc) > 0) {
            row_set set = read_columns(proc);
            if (!read_rows(proc, set)) {
                return false;
            }
            out.sets.push_back(std::move(set));
        } else if (const DBINT count = DBCOUNT(proc); count >= 0) {
            out.rows_affected.push_back(count);
        }
    }
}

}  // namespace tds_pool::detail
