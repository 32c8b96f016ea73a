#pragma once
// The value model shared by the pool and the gateway: typed parameters going to
// sp_executesql and typed row sets coming back, with each column's type kept so the
// JSON mapping is exact (a BIGINT stays an integer, a DATETIME2 becomes ISO 8601).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tds_pool {

/// A calendar date and time of day as the server sent it (no time zone).
struct sql_datetime {
    int year = 1900;
    int month = 1;  ///< 1..12
    int day = 1;    ///< 1..31
    int hour = 0;
    int minute = 0;
    int second = 0;
    std::int32_t nanosecond = 0;  ///< 0..999'999'999 (DATETIME2 carries 100 ns units)

    /// ISO 8601 without zone, "2024-03-01T12:30:00" plus ".fffffff" when non-zero.
    std::string to_iso8601() const;
    /// Appends the same text as to_iso8601 to `out`.
    void append_iso8601(std::string& out) const;
    friend bool operator==(const sql_datetime&, const sql_datetime&) = default;
};

/// An exact decimal (DECIMAL, NUMERIC, MONEY, SMALLMONEY) as the server's digits:
/// "-12.50", "922337203685477.5807"; never passed through a double.
struct sql_decimal {
    std::string digits;
    friend bool operator==(const sql_decimal&, const sql_decimal&) = default;
};

/// One cell: NULL, integer, float, bit, text (UTF-8), binary, date/time or an exact
/// decimal. DATE, TIME, DATETIMEOFFSET and UNIQUEIDENTIFIER arrive as their canonical
/// text (std::string), their column type says which.
using sql_value = std::variant<std::monostate, std::int64_t, double, bool, std::string,
                               std::vector<std::uint8_t>, sql_datetime, sql_decimal>;

/// The SQL type family of a result column, kept for an exact JSON mapping.
enum class column_type {
    integer,   ///< TINYINT, SMALLINT, INT, BIGINT: std::int64_t
    floating,  ///< REAL, FLOAT: double
    boolean,   ///< BIT: bool
    text,      ///< CHAR, VARCHAR, NCHAR, NVARCHAR, TEXT: std::string (UTF-8)
    binary,    ///< BINARY, VARBINARY, IMAGE: bytes
    datetime,  ///< DATETIME, DATETIME2, SMALLDATETIME: sql_datetime
    decimal,   ///< DECIMAL, NUMERIC, MONEY, SMALLMONEY: sql_decimal, exact digits
    date,      ///< DATE: std::string "YYYY-MM-DD"
    time,      ///< TIME: std::string "HH:MM:SS[.fffffff]"
    datetimeoffset,  ///< DATETIMEOFFSET: std::string "YYYY-MM-DDTHH:MM:SS[.fffffff]+HH:MM"
    uuid,      ///< UNIQUEIDENTIFIER: std::string, upper-case canonical form
    other,     ///< types outside this list (XML, SQL_VARIANT, ...): text by FreeTDS
};

/// Lower-case name of a column type ("integer", "text", ...).
std::string_view column_type_name(column_type t) noexcept;

/// Name and type of one result column.
struct column_info {
    std::string name;
    column_type type = column_type::other;
    int server_type = 0;  ///< the FreeTDS type code (SYBINT4, ...), for diagnostics
};

/// One result set: columns and rows, each row holding one value per column.
struct row_set {
    std::vector<column_info> columns;
    std::vector<std::vector<sql_value>> rows;
};

/// Everything one statement batch returned.
struct query_result {
    std::vector<row_set> sets;                ///< result sets in order (SELECTs)
    std::vector<std::int64_t> rows_affected;  ///< one per DML statement that reported a count
};

/// Declared type of a query parameter (the sp_executesql declaration follows from it).
/// decimal, date, time, datetimeoffset and uuid carry their canonical text (validated by
/// the router) and go out as NVARCHAR that sp_executesql converts to the declared type.
enum class param_type { int32, int64, float64, boolean, string, binary, datetime, null, decimal, date,
                        time, datetimeoffset, uuid };

/// One named parameter; a std::monostate value is a typed NULL.
struct sql_param {
    std::string name;  ///< without the leading '@'
    param_type type = param_type::string;
    sql_value value;
};

/// A parameterized statement: `sql` refers to parameters as @name.
struct query {
    std::string sql;
    std::vector<sql_param> params;
    std::optional<std::chrono::milliseconds> timeout;  ///< overrides pools.query_timeout
    /// The session's SET TEXTSIZE while it runs (set first if the connection has another);
    /// nullopt: whatever the session has.
    std::optional<std::int32_t> text_size{};
};

/// The server's report of a failed statement (an ERROR token).
struct sql_error_info {
    std::int32_t number = 0;
    int severity = 0;
    int state = 0;
    std::string message;
};

}  // namespace tds_pool
