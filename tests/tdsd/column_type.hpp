#pragma once
// The TDS type of a result column: chosen from the declared T-SQL type or from the values.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tests/tdsd/sql_value.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {

/// The wire types tdsd sends in results: those SQL Server sends for each declared type.
enum class wire_type : std::uint8_t {
  intn = 0x26,            // TINYINT/SMALLINT/INT/BIGINT: length 1/2/4/8
  fltn = 0x6D,            // REAL 4, FLOAT 8
  bitn = 0x68,
  moneyn = 0x6E,          // SMALLMONEY 4, MONEY 8
  decimaln = 0x6A,        // DECIMAL(p,s)
  numericn = 0x6C,        // NUMERIC(p,s)
  datetimn = 0x6F,        // SMALLDATETIME 4, DATETIME 8
  date = 0x28,
  time = 0x29,            // TIME(scale)
  datetime2 = 0x2A,       // DATETIME2(scale)
  datetimeoffset = 0x2B,  // DATETIMEOFFSET(scale)
  guid = 0x24,            // UNIQUEIDENTIFIER
  nvarchar = 0xE7,
  nchar = 0xEF,
  varchar = 0xA7,         // code page 1252 bytes
  char_ = 0xAF,
  varbinary = 0xA5,
  binary = 0xAD,
};

/// Max length 0xFFFF marks (MAX) types, sent as PLP.
inline constexpr std::uint32_t max_length = 0xFFFF;

/// A column's wire type: max length in bytes (INTN 4/8, NVARCHAR chars*2, ...),
/// precision and scale (DECIMAL/NUMERIC; scale also for TIME/DATETIME2/DATETIMEOFFSET).
struct column_type {
  wire_type type = wire_type::intn;
  std::uint32_t length = 4;
  std::uint8_t precision = 0;
  std::uint8_t scale = 0;
  /// True for [N]VARCHAR(MAX) / VARBINARY(MAX).
  bool is_max() const { return length == max_length; }
  bool operator==(const column_type&) const = default;
};

/// Maps a declared column type ("NVARCHAR(100)", "DECIMAL(12,2)", ...) or nullopt when unknown.
std::optional<column_type> type_from_declaration(std::string_view declared);

/// Picks the final type of a column from its declaration (if any) and all its values:
/// widens what the data overflow (SQLite does not enforce lengths), types undeclared columns.
column_type settle_column_type(const std::optional<column_type>& declared,
                               const std::vector<std::vector<sql_value>>& rows, std::size_t column);

/// True when a column of type `t` carries `v` as it is (settle_column_type would not widen it).
bool fits_column_type(const column_type& t, const sql_value& v);

/// Writes TYPE_INFO for a column.
void write_type_info(byte_writer& w, const column_type& t);

/// SET TEXTSIZE never issued, or -1: (MAX) values go out whole.
inline constexpr std::uint64_t unlimited_text_size = UINT64_MAX;

/// Writes a value as ROW/NBCROW carry it; false, with nothing written, when it goes out as
/// NULL: NULL, or text that is no value of the type (an unparsable date, say). As SET
/// TEXTSIZE does in SQL Server, a (MAX) value is cut to `text_size` bytes on the wire
/// (whole characters only); other types are never cut.
bool write_value(byte_writer& w, const column_type& t, const sql_value& v, std::uint64_t text_size);

/// Bytes of a DECIMAL/NUMERIC value of `precision` digits (sign byte included).
std::uint32_t decimal_length(unsigned precision);

}  // namespace tdsd
