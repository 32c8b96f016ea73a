#include "tests/tdsd/column_type.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <string>

#include "tests/tdsd/config.hpp"
#include "tests/tdsd/datetime.hpp"
#include "tests/tdsd/tokens.hpp"
#include "tests/tdsd/utf16.hpp"

namespace tdsd {
namespace {

constexpr std::uint32_t max_nvarchar_chars = 4000;
constexpr std::uint32_t max_varbinary_bytes = 8000;

column_type nvarchar_chars(std::uint64_t chars) {
  if (chars > max_nvarchar_chars) return {wire_type::nvarchar, max_length};
  return {wire_type::nvarchar, static_cast<std::uint32_t>(std::max<std::uint64_t>(chars, 1) * 2)};
}

column_type varbinary_bytes(std::uint64_t bytes) {
  if (bytes > max_varbinary_bytes) return {wire_type::varbinary, max_length};
  return {wire_type::varbinary, static_cast<std::uint32_t>(std::max<std::uint64_t>(bytes, 1))};
}

// The length argument of "NVARCHAR(100)": nullopt without one, UINT64_MAX for MAX or -1.
std::optional<std::uint64_t> length_argument(std::string_view decl) {
  const auto open = decl.find('(');
  if (open == std::string_view::npos) return std::nullopt;
  const auto arg = decl.substr(open + 1);
  if (arg.starts_with("MAX") || arg.starts_with("-")) return std::numeric_limits<std::uint64_t>::max();
  return std::strtoull(std::string(arg).c_str(), nullptr, 10);
}

std::uint64_t text_units(const sql_value& v) { return utf16_length(v.as_text()); }

column_type type_from_values(const std::vector<std::vector<sql_value>>& rows, std::size_t column) {
  const sql_value* first = nullptr;
  std::uint64_t longest = 0;
  for (const auto& row : rows) {
    const auto& v = row[column];
    if (v.is_null()) continue;
    if (!first) first = &v;
    longest = std::max(longest, text_units(v));
  }
  if (!first) return {wire_type::intn, 4};
  switch (first->type) {
    case sql_value::kind::integer:
      return {wire_type::intn, 8};
    case sql_value::kind::real:
      return {wire_type::fltn, 8};
    case sql_value::kind::blob:
      return {wire_type::varbinary, max_length};
    default:
      return longest <= max_nvarchar_chars ? column_type{wire_type::nvarchar, max_nvarchar_chars * 2}
                                           : column_type{wire_type::nvarchar, max_length};
  }
}

// Widens a declared type the stored data do not fit (SQLite does not enforce lengths).
column_type widen(column_type t, const std::vector<std::vector<sql_value>>& rows, std::size_t column) {
  for (const auto& row : rows) {
    const auto& v = row[column];
    if (v.is_null()) continue;
    if (t.type == wire_type::intn && t.length == 4) {
      const auto i = v.as_integer();
      if (i < std::numeric_limits<std::int32_t>::min() || i > std::numeric_limits<std::int32_t>::max()) t.length = 8;
    } else if (t.type == wire_type::nvarchar && !t.is_max()) {
      const auto units = text_units(v);
      if (units * 2 > t.length) t = nvarchar_chars(units);
    } else if (t.type == wire_type::varbinary && !t.is_max()) {
      if (const auto n = v.as_text().size(); n > t.length) t = varbinary_bytes(n);
    }
  }
  return t;
}

void write_plp(byte_writer& w, std::string_view data) {
  w.u64(data.size());
  if (!data.empty()) {
    w.u32(static_cast<std::uint32_t>(data.size()));
    w.bytes(data);
  }
  w.u32(0);
}

}  // namespace

std::optional<column_type> type_from_declaration(std::string_view declared) {
  std::string decl = upper(declared);
  std::erase_if(decl, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  const std::string base = decl.substr(0, decl.find('('));
  const auto arg = length_argument(decl);
  if (base == "INT" || base == "SMALLINT" || base == "TINYINT") return column_type{wire_type::intn, 4};
  if (base == "BIGINT" || base == "INTEGER") return column_type{wire_type::intn, 8};
  if (base == "BIT" || base == "BOOLEAN") return column_type{wire_type::bitn, 1};
  if (base == "FLOAT" || base == "REAL" || base == "DOUBLE" || base == "DOUBLEPRECISION" || base == "DECIMAL" ||
      base == "NUMERIC" || base == "MONEY" || base == "SMALLMONEY") {
    return column_type{wire_type::fltn, 8};
  }
  if (base == "NVARCHAR" || base == "VARCHAR" || base == "NCHAR" || base == "CHAR" || base == "CHARACTER" ||
      base == "NATIONALCHARACTERVARYING" || base == "VARYINGCHARACTER") {
    return nvarchar_chars(arg.value_or(max_nvarchar_chars));
  }
  if (base == "TEXT" || base == "NTEXT" || base == "CLOB") return column_type{wire_type::nvarchar, max_length};
  if (base == "UNIQUEIDENTIFIER") return nvarchar_chars(36);
  if (base == "VARBINARY" || base == "BINARY") return varbinary_bytes(arg.value_or(max_varbinary_bytes));
  if (base == "BLOB" || base == "IMAGE") return column_type{wire_type::varbinary, max_length};
  if (base == "DATETIME2" || base == "DATETIME" || base == "DATE" || base == "SMALLDATETIME") {
    return column_type{wire_type::datetime2, 8};
  }
  return std::nullopt;
}

column_type settle_column_type(const std::optional<column_type>& declared,
                               const std::vector<std::vector<sql_value>>& rows, std::size_t column) {
  return declared ? widen(*declared, rows, column) : type_from_values(rows, column);
}

void write_type_info(byte_writer& w, const column_type& t) {
  w.u8(static_cast<std::uint8_t>(t.type));
  switch (t.type) {
    case wire_type::intn:
    case wire_type::fltn:
    case wire_type::bitn:
      w.u8(static_cast<std::uint8_t>(t.length));
      break;
    case wire_type::nvarchar:
      w.u16(static_cast<std::uint16_t>(t.length));
      w.bytes(std::span<const std::uint8_t>(default_collation));
      break;
    case wire_type::varbinary:
      w.u16(static_cast<std::uint16_t>(t.length));
      break;
    case wire_type::datetime2:
      w.u8(7);  // scale
      break;
  }
}

bool encodes_as_null(const column_type& t, const sql_value& v) {
  if (v.is_null()) return true;
  if (t.type == wire_type::datetime2) return !parse_datetime_text(v.as_text()).has_value();
  return false;
}

void write_value(byte_writer& w, const column_type& t, const sql_value& v, std::uint64_t text_size) {
  switch (t.type) {
    case wire_type::intn:
      w.u8(static_cast<std::uint8_t>(t.length));
      w.uint_n(static_cast<std::uint64_t>(v.as_integer()), static_cast<int>(t.length));
      break;
    case wire_type::fltn:
      w.u8(8);
      w.u64(std::bit_cast<std::uint64_t>(v.as_real()));
      break;
    case wire_type::bitn:
      w.u8(1);
      w.u8(v.as_integer() != 0 ? 1 : 0);
      break;
    case wire_type::nvarchar: {
      const std::string text = v.as_text();
      // Cut before converting: a 50 MB value need not become 100 MB of UTF-16 first.
      const std::string u = utf8_to_utf16le(t.is_max() ? utf16_prefix(text, text_size) : text);
      if (t.is_max()) {
        write_plp(w, u);
      } else {
        w.u16(static_cast<std::uint16_t>(u.size()));
        w.bytes(u);
      }
      break;
    }
    case wire_type::varbinary:
    {
      const std::string b = v.as_text();
      if (t.is_max()) {
        write_plp(w, std::string_view(b).substr(0, std::min<std::uint64_t>(b.size(), text_size)));
      } else {
        w.u16(static_cast<std::uint16_t>(b.size()));
        w.bytes(b);
      }
    }
      break;
    case wire_type::datetime2: {
      const auto dt = parse_datetime_text(v.as_text()).value_or(tds_datetime{});
      w.u8(8);
      w.uint_n(dt.ticks, 5);
      w.uint_n(static_cast<std::uint64_t>(dt.days), 3);
      break;
    }
  }
}

}  // namespace tdsd
