#pragma once
// The TDS type of a result column: chosen from the declared SQLite type or from the values.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tests/tdsd/sql_value.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {

/// The wire types tdsd sends in results.
enum class wire_type : std::uint8_t {
  intn = 0x26,
  fltn = 0x6D,
  bitn = 0x68,
  nvarchar = 0xE7,
  varbinary = 0xA5,
  datetime2 = 0x2A,
};

/// Max length 0xFFFF marks (MAX) types, sent as PLP.
inline constexpr std::uint32_t max_length = 0xFFFF;

/// A column's wire type and its max length in bytes (INTN 4/8, NVARCHAR chars*2, ...).
struct column_type {
  wire_type type = wire_type::intn;
  std::uint32_t length = 4;
  /// True for NVARCHAR(MAX) / VARBINARY(MAX).
  bool is_max() const { return length == max_length; }
};

/// Maps a declared column type ("NVARCHAR(100)", "BIGINT", ...) or nullopt when unknown.
std::optional<column_type> type_from_declaration(std::string_view declared);

/// Picks the final type of a column from its declaration (if any) and all its values:
/// widens INT/NVARCHAR/VARBINARY that the data overflow, types undeclared columns.
column_type settle_column_type(const std::optional<column_type>& declared,
                               const std::vector<std::vector<sql_value>>& rows, std::size_t column);

/// Writes TYPE_INFO for a column.
void write_type_info(byte_writer& w, const column_type& t);

/// True when `v` must go out as NULL in a column of type `t` (NULL, or an unparsable date).
bool encodes_as_null(const column_type& t, const sql_value& v);

/// SET TEXTSIZE never issued, or -1: (MAX) values go out whole.
inline constexpr std::uint64_t unlimited_text_size = UINT64_MAX;

/// Writes a non-NULL value as ROW/NBCROW carry it. As SET TEXTSIZE does in SQL Server,
/// an NVARCHAR(MAX) or VARBINARY(MAX) value is cut to `text_size` bytes on the wire
/// (UTF-16 bytes for text, whole characters only); other types are never cut.
void write_value(byte_writer& w, const column_type& t, const sql_value& v, std::uint64_t text_size);

}  // namespace tdsd
