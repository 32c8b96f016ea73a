#include "tests/tdsd/datetime.hpp"

#include <cctype>
#include <fmt/format.h>

namespace tdsd {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};

civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

const std::int64_t epoch_0001 = days_from_civil(1, 1, 1);

// Reads exactly `n` digits at `pos`.
std::optional<unsigned> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[pos + i]))) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[pos + i] - '0');
  }
  pos += n;
  return v;
}

bool expect_char(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// Reads 'HH:MM[:SS[.fffffff]]' at `pos` as 100 ns ticks since midnight.
std::optional<std::uint64_t> parse_time_of_day(std::string_view s, std::size_t& pos) {
  const auto h = digits(s, pos, 2);
  if (!h || !expect_char(s, pos, ':')) return std::nullopt;
  const auto mi = digits(s, pos, 2);
  if (!mi || *h > 23 || *mi > 59) return std::nullopt;
  unsigned sec = 0;
  std::uint64_t fraction_ticks = 0;
  if (expect_char(s, pos, ':')) {
    const auto se = digits(s, pos, 2);
    if (!se || *se > 59) return std::nullopt;
    sec = *se;
    if (expect_char(s, pos, '.')) {
      std::uint64_t scale = 1000000;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        fraction_ticks += static_cast<std::uint64_t>(s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
    }
  }
  return ((static_cast<std::uint64_t>(*h) * 60 + *mi) * 60 + sec) * 10000000ULL + fraction_ticks;
}

// Reads a date and an optional time at `pos`.
std::optional<tds_datetime> parse_date_and_time(std::string_view s, std::size_t& pos) {
  const auto y = digits(s, pos, 4);
  if (!y || !expect_char(s, pos, '-')) return std::nullopt;
  const auto mo = digits(s, pos, 2);
  if (!mo || !expect_char(s, pos, '-')) return std::nullopt;
  const auto d = digits(s, pos, 2);
  if (!d || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *y < 1) return std::nullopt;
  tds_datetime out;
  out.days = days_from_civil(*y, *mo, *d) - epoch_0001;
  if (pos == s.size() || (s[pos] != ' ' && s[pos] != 'T')) return out;
  if (pos + 1 < s.size() && (s[pos + 1] == '+' || s[pos + 1] == '-')) return out;  // ' +02:00'
  ++pos;
  const auto ticks = parse_time_of_day(s, pos);
  if (!ticks) return std::nullopt;
  out.ticks = *ticks;
  return out;
}

// Reads 'Z' or '[ ]+HH:MM' / '-HH:MM' at `pos` as minutes east of UTC.
std::optional<int> parse_offset(std::string_view s, std::size_t& pos) {
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (expect_char(s, pos, 'Z')) return 0;
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
  const int sign = s[pos++] == '-' ? -1 : 1;
  const auto h = digits(s, pos, 2);
  if (!h || !expect_char(s, pos, ':')) return std::nullopt;
  const auto m = digits(s, pos, 2);
  if (!m || *m > 59 || *h * 60 + *m > 14 * 60) return std::nullopt;
  return sign * static_cast<int>(*h * 60 + *m);
}

}  // namespace

std::optional<tds_datetime> parse_datetime_text(std::string_view s) {
  std::size_t pos = 0;
  const auto out = parse_date_and_time(s, pos);
  if (!out) return std::nullopt;
  if (pos < s.size() && s[pos] == 'Z') ++pos;
  if (pos != s.size()) return std::nullopt;
  return out;
}

std::optional<offset_datetime> parse_offset_datetime_text(std::string_view s) {
  std::size_t pos = 0;
  const auto local = parse_date_and_time(s, pos);
  if (!local) return std::nullopt;
  offset_datetime out{*local, 0};
  if (pos < s.size()) {
    const auto offset = parse_offset(s, pos);
    if (!offset || pos != s.size()) return std::nullopt;
    out.offset_minutes = *offset;
  }
  return out;
}

std::optional<std::uint64_t> parse_time_text(std::string_view s) {
  std::size_t pos = 0;
  if (s.size() > 10 && s[4] == '-') {
    const auto dt = parse_datetime_text(s);  // a datetime's time of day
    if (!dt) return std::nullopt;
    return dt->ticks;
  }
  const auto ticks = parse_time_of_day(s, pos);
  if (!ticks || pos != s.size()) return std::nullopt;
  return ticks;
}

tds_datetime to_utc(const offset_datetime& v) {
  constexpr std::int64_t per_day = 86400LL * 10000000LL;
  const std::int64_t total = static_cast<std::int64_t>(v.local.ticks) - v.offset_minutes * 60LL * 10000000LL;
  tds_datetime out{v.local.days, 0};
  out.days += total >= 0 ? total / per_day : -1 + (total + 1) / per_day;
  out.ticks = static_cast<std::uint64_t>(((total % per_day) + per_day) % per_day);
  return out;
}

std::string format_offset_text(int minutes) {
  const int a = minutes < 0 ? -minutes : minutes;
  return fmt::format("{}{:02}:{:02}", minutes < 0 ? '-' : '+', a / 60, a % 60);
}

std::string format_datetime_text(const tds_datetime& dt, bool date_only) {
  const civil c = civil_from_days(dt.days + epoch_0001);
  std::string out = fmt::format("{:04}-{:02}-{:02}", c.y, c.m, c.d);
  if (date_only) return out;
  const std::uint64_t seconds = dt.ticks / 10000000ULL;
  out += fmt::format(" {:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (const auto fraction = dt.ticks % 10000000ULL; fraction != 0) {
    std::string f = fmt::format("{:07}", fraction);
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

}  // namespace tdsd
