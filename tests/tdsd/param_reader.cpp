#include "tests/tdsd/param_reader.hpp"

#include <fmt/format.h>

#include <bit>

#include "tests/tdsd/code_page.hpp"
#include "tests/tdsd/datetime.hpp"
#include "tests/tdsd/decimal_text.hpp"
#include "tests/tdsd/utf16.hpp"

namespace tdsd {
namespace {

constexpr std::uint64_t plp_null = 0xFFFFFFFFFFFFFFFFULL;

std::string as_string(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

std::optional<std::string> read_plp(byte_reader& r) {
  const std::uint64_t total = r.u64();
  if (total == plp_null) return std::nullopt;
  std::string out;
  for (;;) {
    const std::uint32_t chunk = r.u32();
    if (chunk == 0) return out;
    out += as_string(r.take(chunk));
  }
}

sql_value integer_of(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size(); ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  // Sign-extend the narrower integer types (INT1 is unsigned on the wire).
  if (b.size() > 1 && b.size() < 8 && (b.back() & 0x80)) v |= ~0ULL << (8 * b.size());
  return make_integer(static_cast<std::int64_t>(v));
}

sql_value float_of(std::span<const std::uint8_t> b) {
  byte_reader r(b);
  if (b.size() == 4) return make_real(std::bit_cast<float>(r.u32()));
  return make_real(std::bit_cast<double>(r.u64()));
}

// MONEY is an integer count of 1/10000: bound as exact text with four decimals.
sql_value money_of(std::span<const std::uint8_t> b) {
  byte_reader r(b);
  std::int64_t v = 0;
  if (b.size() == 4) {
    v = static_cast<std::int32_t>(r.u32());
  } else {
    const auto high = static_cast<std::uint64_t>(r.u32());
    const auto low = static_cast<std::uint64_t>(r.u32());
    v = static_cast<std::int64_t>((high << 32) | low);
  }
  const auto magnitude = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  return make_text(format_decimal(scaled_decimal{v < 0, magnitude}, 4));
}

sql_value datetime_of(std::span<const std::uint8_t> b) {
  byte_reader r(b);
  tds_datetime dt;
  if (b.size() == 4) {
    dt.days = r.u16() + days_0001_to_1900;
    dt.ticks = static_cast<std::uint64_t>(r.u16()) * 60 * 10000000ULL;
  } else {
    dt.days = static_cast<std::int32_t>(r.u32()) + days_0001_to_1900;
    dt.ticks = (static_cast<std::uint64_t>(r.u32()) * 100000ULL + 1) / 3;  // 1/300 s -> 100 ns
  }
  return make_text(format_datetime_text(dt));
}

std::uint64_t scaled_ticks(std::uint64_t raw, unsigned scale) {
  for (unsigned s = scale; s < 7; ++s) raw *= 10;
  return raw;
}

// DATEN, TIMEN, DATETIME2N, DATETIMEOFFSETN share time (len by scale) + date (3 bytes) layouts.
sql_value new_date_of(std::uint8_t type, unsigned scale, std::span<const std::uint8_t> b) {
  byte_reader r(b);
  tds_datetime dt;
  if (type == 0x28) {
    dt.days = static_cast<std::int64_t>(r.uint_n(3));
    return make_text(format_datetime_text(dt, true));
  }
  const std::size_t time_len = scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
  dt.ticks = scaled_ticks(r.uint_n(time_len), scale);
  if (type == 0x29) return make_text(format_datetime_text(dt).substr(11));
  dt.days = static_cast<std::int64_t>(r.uint_n(3));
  if (type == 0x2B) {
    // The wire has UTC plus an offset; tdsd stores the local time with its offset, as
    // SQL Server prints a DATETIMEOFFSET.
    const auto offset = static_cast<std::int16_t>(r.u16());
    const auto local = to_utc(offset_datetime{dt, -offset});
    return make_text(format_datetime_text(local) + " " + format_offset_text(offset));
  }
  return make_text(format_datetime_text(dt));
}

// DECIMAL/NUMERIC: sign byte and a little-endian magnitude; bound as exact text.
sql_value decimal_of(unsigned scale, std::span<const std::uint8_t> b) {
  if (b.size() > 17) throw protocol_error("DECIMAL value longer than 17 bytes");
  scaled_decimal d{b[0] == 0, 0};
  for (std::size_t i = b.size(); i > 1; --i) d.magnitude = (d.magnitude << 8) | b[i - 1];
  return make_text(format_decimal(d, scale));
}

sql_value guid_of(std::span<const std::uint8_t> b) {
  return make_text(fmt::format("{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-"
                               "{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
                               b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11],
                               b[12], b[13], b[14], b[15]));
}

std::size_t fixed_length(std::uint8_t type) {
  switch (type) {
    case 0x1F: return 0;  // NULL
    case 0x30: case 0x32: return 1;  // INT1, BIT
    case 0x34: return 2;  // INT2
    case 0x38: case 0x3B: case 0x3A: case 0x7A: return 4;  // INT4, FLT4, SMALLDATETIME, SMALLMONEY
    case 0x7F: case 0x3E: case 0x3D: case 0x3C: return 8;  // INT8, FLT8, DATETIME, MONEY
    default: return SIZE_MAX;
  }
}

// The lengths a non-NULL value of a nullable fixed-size type may have (INTN, BITN, FLTN,
// MONEYN, DATETIMN, GUID); any other would be misread (an INTN of 9 bytes shifts past 64 bits).
void check_value_length(std::uint8_t type, std::uint8_t len) {
  bool ok = false;
  switch (type) {
    case 0x26: ok = len == 1 || len == 2 || len == 4 || len == 8; break;
    case 0x68: ok = len == 1; break;
    case 0x6D: case 0x6E: case 0x6F: ok = len == 4 || len == 8; break;
    case 0x24: ok = len == 16; break;
    default: ok = true; break;
  }
  if (!ok) throw protocol_error(fmt::format("value length {} is invalid for type 0x{:02X}", len, type));
}

// Converts the bytes of a fixed or byte-length value by its (nullable) type family.
sql_value scalar_of(std::uint8_t type, unsigned precision_scale, std::span<const std::uint8_t> b) {
  switch (type) {
    case 0x30: return make_integer(b[0]);
    case 0x32: case 0x68: return make_integer(b[0] != 0);
    case 0x34: case 0x38: case 0x7F: case 0x26: return integer_of(b);
    case 0x3B: case 0x3E: case 0x6D: return float_of(b);
    case 0x3C: case 0x7A: case 0x6E: return money_of(b);
    case 0x3A: case 0x3D: case 0x6F: return datetime_of(b);
    case 0x24:
      if (b.size() != 16) throw protocol_error("GUID value is not 16 bytes");
      return guid_of(b);
    case 0x6A: case 0x6C:
      if (b.empty()) throw protocol_error("empty DECIMAL value");
      return decimal_of(precision_scale, b);
    default:
      return new_date_of(type, precision_scale, b);
  }
}

sql_value character_of(std::uint8_t type, std::span<const std::uint8_t> b) {
  switch (type) {
    case 0xE7: case 0xEF: case 0x63: return make_text(utf16le_to_utf8(b));
    case 0xA7: case 0xAF: case 0x23: return make_text(cp1252_to_utf8(b));
    default: return make_blob(as_string(b));
  }
}

sql_value read_ushort_len(byte_reader& r, std::uint8_t type, bool has_collation) {
  const std::uint16_t max = r.u16();
  if (has_collation) r.skip(5);
  if (max == 0xFFFF) {
    const auto plp = read_plp(r);
    if (!plp) return {};
    const auto* p = reinterpret_cast<const std::uint8_t*>(plp->data());
    return character_of(type, std::span<const std::uint8_t>(p, plp->size()));
  }
  const std::uint16_t len = r.u16();
  if (len == 0xFFFF) return {};
  return character_of(type, r.take(len));
}

sql_value read_long_len(byte_reader& r, std::uint8_t type) {
  r.u32();  // max length
  if (type != 0x22) r.skip(5);  // TEXT and NTEXT carry a collation, IMAGE does not
  const std::uint32_t len = r.u32();
  if (len == 0xFFFFFFFF) return {};
  return character_of(type, r.take(len));
}

}  // namespace

sql_value read_param_value(byte_reader& r) {
  const std::uint8_t type = r.u8();
  if (const std::size_t fixed = fixed_length(type); fixed != SIZE_MAX) {
    if (fixed == 0) return {};
    return scalar_of(type, 0, r.take(fixed));
  }
  switch (type) {
    case 0x26: case 0x68: case 0x6D: case 0x6E: case 0x6F: case 0x24: {
      r.u8();  // max length
      const std::uint8_t len = r.u8();
      if (len == 0) return {};
      check_value_length(type, len);
      return scalar_of(type, 0, r.take(len));
    }
    case 0x6A: case 0x6C: {
      r.u8();  // max length
      r.u8();  // precision
      const std::uint8_t scale = r.u8();
      const std::uint8_t len = r.u8();
      return len == 0 ? sql_value{} : scalar_of(type, scale, r.take(len));
    }
    case 0x28: {
      const std::uint8_t len = r.u8();
      return len == 0 ? sql_value{} : scalar_of(type, 0, r.take(len));
    }
    case 0x29: case 0x2A: case 0x2B: {
      const std::uint8_t scale = r.u8();
      if (scale > 7) throw protocol_error("time scale above 7");
      const std::uint8_t len = r.u8();
      return len == 0 ? sql_value{} : scalar_of(type, scale, r.take(len));
    }
    case 0xA7: case 0xAF: case 0xE7: case 0xEF:
      return read_ushort_len(r, type, true);
    case 0xA5: case 0xAD:
      return read_ushort_len(r, type, false);
    case 0x23: case 0x63: case 0x22:
      return read_long_len(r, type);
    default:
      throw unsupported_request(fmt::format("parameter type 0x{:02x} is not supported by tdsd", type));
  }
}

}  // namespace tdsd
