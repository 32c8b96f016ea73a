#include "tests/tdsd/column_type.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <string>

#include "tests/tdsd/code_page.hpp"
#include "tests/tdsd/config.hpp"
#include "tests/tdsd/decimal_text.hpp"
#include "tests/tdsd/tokens.hpp"
#include "tests/tdsd/utf16.hpp"

namespace tdsd {
namespace {

constexpr std::uint32_t max_nvarchar_chars = 4000;
constexpr std::uint32_t max_single_byte = 8000;
constexpr std::uint64_t max_argument = std::numeric_limits<std::uint64_t>::max();

// Character and binary types: `units` characters (bytes for single-byte and binary
// types), beyond the type's limit the (MAX) form, which has no fixed-length variant.
column_type sized(wire_type type, std::uint64_t units) {
  const bool wide = type == wire_type::nvarchar || type == wire_type::nchar;
  const std::uint64_t limit = wide ? max_nvarchar_chars : max_single_byte;
  if (units > limit) {
    const bool text = wide || type == wire_type::varchar || type == wire_type::char_;
    const auto max_type = wide ? wire_type::nvarchar : text ? wire_type::varchar : wire_type::varbinary;
    return {max_type, max_length};
  }
  const auto n = static_cast<std::uint32_t>(std::max<std::uint64_t>(units, 1));
  return {type, wide ? n * 2 : n};
}

// The arguments of "DECIMAL(12,2)" / "NVARCHAR(MAX)": MAX and -1 read as max_argument.
std::vector<std::uint64_t> arguments(std::string_view decl) {
  std::vector<std::uint64_t> out;
  auto open = decl.find('(');
  while (open != std::string_view::npos && open + 1 < decl.size()) {
    const auto arg = decl.substr(open + 1);
    if (arg.starts_with("MAX") || arg.starts_with("-")) {
      out.push_back(max_argument);
    } else {
      out.push_back(std::strtoull(std::string(arg).c_str(), nullptr, 10));
    }
    open = decl.find(',', open + 1);
  }
  return out;
}

std::uint8_t time_scale(const std::vector<std::uint64_t>& args) {
  return static_cast<std::uint8_t>(args.empty() ? 7 : std::min<std::uint64_t>(args[0], 7));
}

column_type decimal_type(wire_type type, const std::vector<std::uint64_t>& args) {
  const auto precision = static_cast<std::uint8_t>(args.empty() ? 18 : std::clamp<std::uint64_t>(args[0], 1, 38));
  const auto scale = static_cast<std::uint8_t>(args.size() < 2 ? 0 : std::min<std::uint64_t>(args[1], precision));
  return {type, decimal_length(precision), precision, scale};
}

std::optional<column_type> numeric_type(const std::string& base, const std::vector<std::uint64_t>& args) {
  if (base == "TINYINT") return column_type{wire_type::intn, 1};
  if (base == "SMALLINT") return column_type{wire_type::intn, 2};
  if (base == "INT" || base == "INTEGER") return column_type{wire_type::intn, 4};
  if (base == "BIGINT") return column_type{wire_type::intn, 8};
  if (base == "BIT" || base == "BOOLEAN") return column_type{wire_type::bitn, 1};
  if (base == "REAL") return column_type{wire_type::fltn, 4};
  if (base == "FLOAT") return column_type{wire_type::fltn, !args.empty() && args[0] <= 24 ? 4u : 8u};
  if (base == "DOUBLE" || base == "DOUBLEPRECISION") return column_type{wire_type::fltn, 8};
  if (base == "DECIMAL" || base == "DEC") return decimal_type(wire_type::decimaln, args);
  if (base == "NUMERIC") return decimal_type(wire_type::numericn, args);
  if (base == "MONEY") return column_type{wire_type::moneyn, 8, 19, 4};
  if (base == "SMALLMONEY") return column_type{wire_type::moneyn, 4, 10, 4};
  return std::nullopt;
}

std::optional<column_type> temporal_type(const std::string& base, const std::vector<std::uint64_t>& args) {
  if (base == "DATE") return column_type{wire_type::date, 3};
  if (base == "TIME") return column_type{wire_type::time, 5, 0, time_scale(args)};
  if (base == "DATETIME2") return column_type{wire_type::datetime2, 8, 0, time_scale(args)};
  if (base == "DATETIMEOFFSET") return column_type{wire_type::datetimeoffset, 10, 0, time_scale(args)};
  if (base == "DATETIME") return column_type{wire_type::datetimn, 8};
  if (base == "SMALLDATETIME") return column_type{wire_type::datetimn, 4};
  if (base == "UNIQUEIDENTIFIER") return column_type{wire_type::guid, 16};
  return std::nullopt;
}

std::optional<column_type> character_type(const std::string& base, const std::vector<std::uint64_t>& args) {
  const std::uint64_t n = args.empty() ? 1 : args[0];
  if (base == "NVARCHAR" || base == "NATIONALCHARACTERVARYING") return sized(wire_type::nvarchar, args.empty() ? max_nvarchar_chars : n);
  if (base == "NCHAR" || base == "NATIONALCHARACTER") return sized(wire_type::nchar, n);
  if (base == "VARCHAR" || base == "VARYINGCHARACTER") return sized(wire_type::varchar, args.empty() ? max_single_byte : n);
  if (base == "CHAR" || base == "CHARACTER") return sized(wire_type::char_, n);
  if (base == "NTEXT" || base == "CLOB") return column_type{wire_type::nvarchar, max_length};
  if (base == "TEXT") return column_type{wire_type::varchar, max_length};  // VARCHAR(MAX) after the rewrite
  if (base == "VARBINARY") return sized(wire_type::varbinary, args.empty() ? max_single_byte : n);
  if (base == "BINARY") return sized(wire_type::binary, n);
  if (base == "BLOB" || base == "IMAGE") return column_type{wire_type::varbinary, max_length};
  return std::nullopt;
}

column_type type_from_values(const std::vector<std::vector<sql_value>>& rows, std::size_t column) {
  const sql_value* first = nullptr;
  for (const auto& row : rows) {
    if (!row[column].is_null()) {
      first = &row[column];
      break;
    }
  }
  if (!first) return {wire_type::intn, 4};
  switch (first->type) {
    case sql_value::kind::integer:
      return {wire_type::intn, 4};  // SQL Server types an integer literal INT; widen() makes it BIGINT if needed
    case sql_value::kind::real:
      return {wire_type::fltn, 8};
    case sql_value::kind::blob:
      return {wire_type::varbinary, max_length};
    default:
      return {wire_type::nvarchar, max_nvarchar_chars * 2};
  }
}

bool fits_integer(std::int64_t v, std::uint32_t length) {
  switch (length) {
    case 1: return v >= 0 && v <= 255;
    case 2: return v >= std::numeric_limits<std::int16_t>::min() && v <= std::numeric_limits<std::int16_t>::max();
    case 4: return v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
    default: return true;
  }
}

// Widens a type one value does not fit. In place: a column_type returned by value is
// packed byte by byte and read back whole, a store-forwarding stall on every cell.
void widen_for(column_type& t, const sql_value& v) {
  switch (t.type) {
    case wire_type::intn:
      if (v.type != sql_value::kind::text && !fits_integer(v.as_integer(), t.length)) t.length = 8;
      if (v.type == sql_value::kind::real) t = {wire_type::fltn, 8};  // an integer column holding 2.5
      break;
    case wire_type::nvarchar:
    case wire_type::nchar:
      // UTF-16 needs at most one unit per UTF-8 byte: most cells fit without counting.
      if (!t.is_max() && !(v.type == sql_value::kind::text && v.bytes.size() * 2 <= t.length)) {
        const auto units = v.type == sql_value::kind::text ? utf16_length(v.bytes) : utf16_length(v.as_text());
        if (units * 2 > t.length) t = sized(t.type, units);
      }
      break;
    case wire_type::varchar:
    case wire_type::char_:
      if (!t.is_max()) {
        if (const auto n = cp1252_length(v.as_text()); n > t.length) t = sized(t.type, n);
      }
      break;
    case wire_type::varbinary:
    case wire_type::binary:
      if (!t.is_max()) {
        if (const auto n = v.as_text().size(); n > t.length) t = sized(t.type, n);
      }
      break;
    case wire_type::decimaln:
    case wire_type::numericn:
      // A value with more integer digits than DECIMAL(p,s) allows: SQL Server would have
      // refused it, SQLite stored it; send it with the widest precision.
      // Plain short text fits without parsing: its integer digits are no more than its
      // characters, and the scale's digits come on top.
      if (v.type == sql_value::kind::text && v.bytes.size() + t.scale <= t.precision &&
          v.bytes.find_first_not_of("0123456789+-.") == std::string::npos) {
        break;
      }
      if (const auto d = parse_decimal(v.as_text(), t.scale); d && digit_count(d->magnitude) > t.precision) {
        t.precision = 38;
        t.length = decimal_length(38);
      }
      break;
    default:
      break;
  }
}

}  // namespace

std::uint32_t decimal_length(unsigned precision) {
  return precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17;
}

std::optional<column_type> type_from_declaration(std::string_view declared) {
  std::string decl = upper(declared);
  std::erase_if(decl, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  std::string base = decl.substr(0, decl.find('('));
  // The DDL rewrite names exact numeric columns DECIMAL_TEXT etc. (TEXT affinity in SQLite).
  if (base.ends_with("_TEXT")) base.resize(base.size() - 5);
  const auto args = arguments(decl);
  if (auto t = numeric_type(base, args)) return t;
  if (auto t = temporal_type(base, args)) return t;
  return character_type(base, args);
}

column_type settle_column_type(const std::optional<column_type>& declared,
                               const std::vector<std::vector<sql_value>>& rows, std::size_t column) {
  column_type t = declared ? *declared : type_from_values(rows, column);
  for (const auto& row : rows) {
    if (!row[column].is_null()) widen_for(t, row[column]);
  }
  return t;
}

bool fits_column_type(const column_type& t, const sql_value& v) {
  if (v.is_null()) return true;
  column_type widened = t;
  widen_for(widened, v);
  return widened == t;
}

void write_type_info(byte_writer& w, const column_type& t) {
  w.u8(static_cast<std::uint8_t>(t.type));
  switch (t.type) {
    case wire_type::intn:
    case wire_type::fltn:
    case wire_type::bitn:
    case wire_type::moneyn:
    case wire_type::datetimn:
    case wire_type::guid:
      w.u8(static_cast<std::uint8_t>(t.length));
      break;
    case wire_type::decimaln:
    case wire_type::numericn:
      w.u8(static_cast<std::uint8_t>(t.length));
      w.u8(t.precision);
      w.u8(t.scale);
      break;
    case wire_type::date:
      break;
    case wire_type::time:
    case wire_type::datetime2:
    case wire_type::datetimeoffset:
      w.u8(t.scale);
      break;
    case wire_type::nvarchar:
    case wire_type::nchar:
    case wire_type::varchar:
    case wire_type::char_:
      w.u16(static_cast<std::uint16_t>(t.length));
      w.bytes(std::span<const std::uint8_t>(default_collation));
      break;
    case wire_type::varbinary:
    case wire_type::binary:
      w.u16(static_cast<std::uint16_t>(t.length));
      break;
  }
}

}  // namespace tdsd
