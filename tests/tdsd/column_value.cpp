// Values of result columns as ROW/NBCROW carry them, one encoder per wire type family.
// SQLite holds every value as integer, real, UTF-8 text or blob: exact numerics and
// date/time types arrive as text and are parsed here.
#include <algorithm>
#include <bit>
#include <cctype>
#include <string>

#include "tests/tdsd/code_page.hpp"
#include "tests/tdsd/column_type.hpp"
#include "tests/tdsd/datetime.hpp"
#include "tests/tdsd/decimal_text.hpp"
#include "tests/tdsd/utf16.hpp"

namespace tdsd {
namespace {

constexpr std::uint64_t ticks_per_day = 86400ULL * 10000000ULL;

std::uint64_t power_of_ten(unsigned n) {
  std::uint64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// TIME/DATETIME2/DATETIMEOFFSET: bytes of the time part for a scale.
int time_length(unsigned scale) { return scale <= 2 ? 3 : scale <= 4 ? 4 : 5; }

// A moment rounded to `scale` fraction digits, as SQL Server rounds into a narrower type;
// rounding up past midnight moves to the next day.
struct scaled_moment {
  std::int64_t days;
  std::uint64_t units;
};

scaled_moment round_to_scale(tds_datetime dt, unsigned scale) {
  const std::uint64_t unit = power_of_ten(7 - scale);
  std::uint64_t units = (dt.ticks + unit / 2) / unit;
  if (units * unit >= ticks_per_day) {
    units = 0;
    ++dt.days;
  }
  return {dt.days, units};
}

void write_plp(byte_writer& w, std::string_view data) {
  w.u64(data.size());
  if (!data.empty()) {
    w.u32(static_cast<std::uint32_t>(data.size()));
    w.bytes(data);
  }
  w.u32(0);
}

// Character and binary data: PLP for (MAX), else a 2-byte length; CHAR/NCHAR/BINARY
// are padded to their length as SQL Server stores them.
void write_sized(byte_writer& w, const column_type& t, std::string data, char pad, std::uint64_t text_size) {
  if (t.is_max()) {
    write_plp(w, std::string_view(data).substr(0, std::min<std::uint64_t>(data.size(), text_size)));
    return;
  }
  const bool fixed = t.type == wire_type::char_ || t.type == wire_type::binary;
  if (fixed && data.size() < t.length) data.append(t.length - data.size(), pad);
  w.u16(static_cast<std::uint16_t>(data.size()));
  w.bytes(data);
}

std::string utf16_text(const column_type& t, const sql_value& v, std::uint64_t text_size) {
  const std::string text = v.as_text();
  // Cut before converting: a 50 MB value need not become 100 MB of UTF-16 first.
  std::string u = utf8_to_utf16le(t.is_max() ? utf16_prefix(text, text_size) : text);
  if (t.type == wire_type::nchar) {
    while (u.size() + 2 <= t.length) u += std::string(" \0", 2);
  }
  return u;
}

// 'XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX' (braces allowed) -> the 16 wire bytes, whose
// first three groups are little-endian.
std::optional<std::string> guid_bytes(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36) return std::nullopt;
  std::string hex;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
    } else if (!std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return std::nullopt;
    } else {
      hex.push_back(text[i]);
    }
  }
  std::string b(16, '\0');
  for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<char>(std::stoi(hex.substr(i * 2, 2), nullptr, 16));
  std::swap(b[0], b[3]);
  std::swap(b[1], b[2]);
  std::swap(b[4], b[5]);
  std::swap(b[6], b[7]);
  return b;
}

void write_decimal(byte_writer& w, const column_type& t, const scaled_decimal& d) {
  w.u8(static_cast<std::uint8_t>(t.length));
  w.u8(d.negative ? 0 : 1);
  uint128 m = d.magnitude;
  for (std::uint32_t i = 1; i < t.length; ++i) {
    w.u8(static_cast<std::uint8_t>(m & 0xFF));
    m >>= 8;
  }
}

void write_money(byte_writer& w, const column_type& t, const scaled_decimal& d) {
  // Two's complement by hand: -922337203685477.5808 has no positive counterpart.
  const auto magnitude = static_cast<std::uint64_t>(d.magnitude);
  const std::uint64_t bits = d.negative ? 0 - magnitude : magnitude;
  w.u8(static_cast<std::uint8_t>(t.length));
  if (t.length == 4) {
    w.u32(static_cast<std::uint32_t>(bits));
    return;
  }
  w.u32(static_cast<std::uint32_t>(bits >> 32));  // MONEY: high half first
  w.u32(static_cast<std::uint32_t>(bits));
}

// DATETIME: days since 1900 and 1/300 s; SMALLDATETIME: days since 1900 and minutes.
void write_datetimn(byte_writer& w, const column_type& t, tds_datetime dt) {
  std::int64_t days = dt.days - days_0001_to_1900;
  w.u8(static_cast<std::uint8_t>(t.length));
  if (t.length == 4) {
    constexpr std::uint64_t per_minute = 60ULL * 10000000ULL;
    std::uint64_t minutes = (dt.ticks + per_minute / 2) / per_minute;
    if (minutes >= 1440) {
      minutes = 0;
      ++days;
    }
    w.u16(static_cast<std::uint16_t>(days));
    w.u16(static_cast<std::uint16_t>(minutes));
    return;
  }
  std::uint64_t three_hundredths = (dt.ticks * 3 + 50000) / 100000;
  if (three_hundredths >= 300ULL * 86400ULL) {
    three_hundredths = 0;
    ++days;
  }
  w.u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(days)));
  w.u32(static_cast<std::uint32_t>(three_hundredths));
}

void write_moment(byte_writer& w, const column_type& t, const tds_datetime& dt, bool with_date, int extra) {
  const auto m = round_to_scale(dt, t.scale);
  const int len = time_length(t.scale);
  w.u8(static_cast<std::uint8_t>(len + (with_date ? 3 : 0) + extra));
  w.uint_n(m.units, len);
  if (with_date) w.uint_n(static_cast<std::uint64_t>(m.days), 3);
}

/// The value's text: a view of it when it is stored as text (no copy per cell), else
/// its spelling kept in `spelled`.
std::string_view text_of(const sql_value& v, std::string& spelled) {
  if (v.type == sql_value::kind::text || v.type == sql_value::kind::blob) return v.bytes;
  spelled = v.as_text();
  return spelled;
}

}  // namespace

bool write_value(byte_writer& w, const column_type& t, const sql_value& v, std::uint64_t text_size) {
  if (v.is_null()) return false;
  // Dates, decimals and GUIDs are stored as text: parsed once, here, and text that is no
  // value of the type goes out as NULL.
  std::string spelled;
  switch (t.type) {
    case wire_type::intn:
      w.u8(static_cast<std::uint8_t>(t.length));
      w.uint_n(static_cast<std::uint64_t>(v.as_integer()), static_cast<int>(t.length));
      break;
    case wire_type::fltn:
      w.u8(static_cast<std::uint8_t>(t.length));
      if (t.length == 4) {
        w.u32(std::bit_cast<std::uint32_t>(static_cast<float>(v.as_real())));
      } else {
        w.u64(std::bit_cast<std::uint64_t>(v.as_real()));
      }
      break;
    case wire_type::bitn:
      w.u8(1);
      w.u8(v.as_integer() != 0 ? 1 : 0);
      break;
    case wire_type::decimaln:
    case wire_type::numericn: {
      const auto d = parse_decimal(text_of(v, spelled), t.scale);
      if (!d) return false;
      write_decimal(w, t, *d);
      break;
    }
    case wire_type::moneyn: {
      const auto d = parse_decimal(text_of(v, spelled), 4);
      if (!d) return false;
      write_money(w, t, *d);
      break;
    }
    case wire_type::datetimn: {
      const auto dt = parse_datetime_text(text_of(v, spelled));
      if (!dt) return false;
      write_datetimn(w, t, *dt);
      break;
    }
    case wire_type::date: {
      const auto dt = parse_datetime_text(text_of(v, spelled));
      if (!dt) return false;
      w.u8(3);
      w.uint_n(static_cast<std::uint64_t>(dt->days), 3);
      break;
    }
    case wire_type::time: {
      const auto ticks = parse_time_text(text_of(v, spelled));
      if (!ticks) return false;
      write_moment(w, t, tds_datetime{0, *ticks}, false, 0);
      break;
    }
    case wire_type::datetime2: {
      const auto dt = parse_datetime_text(text_of(v, spelled));
      if (!dt) return false;
      write_moment(w, t, *dt, true, 0);
      break;
    }
    case wire_type::datetimeoffset: {
      const auto local = parse_offset_datetime_text(text_of(v, spelled));
      if (!local) return false;
      write_moment(w, t, to_utc(*local), true, 2);
      w.u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(local->offset_minutes)));
      break;
    }
    case wire_type::guid: {
      const auto bytes = guid_bytes(text_of(v, spelled));
      if (!bytes) return false;
      w.u8(16);
      w.bytes(*bytes);
      break;
    }
    case wire_type::nvarchar:
      if (!t.is_max() && v.type == sql_value::kind::text) {  // the common case: no copies
        const std::size_t at = w.size();
        w.u16(0);
        w.patch_u16(at, static_cast<std::uint16_t>(w.utf16le(v.bytes)));
        break;
      }
      [[fallthrough]];
    case wire_type::nchar:
      write_sized(w, t, utf16_text(t, v, text_size), '\0', unlimited_text_size);
      break;
    case wire_type::varchar:
    case wire_type::char_:
      write_sized(w, t, utf8_to_cp1252(v.as_text()), ' ', text_size);
      break;
    case wire_type::varbinary:
    case wire_type::binary:
      write_sized(w, t, v.as_text(), '\0', text_size);
      break;
  }
  return true;
}

}  // namespace tdsd
