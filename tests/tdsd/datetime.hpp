#pragma once
// Date/time text (SQLite's 'YYYY-MM-DD HH:MM:SS.fffffff') <-> TDS day and tick counts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tdsd {

/// A moment as DATETIME2 carries it: days since 0001-01-01 and 100 ns ticks since midnight.
struct tds_datetime {
  std::int64_t days = 0;
  std::uint64_t ticks = 0;
};

/// Parses 'YYYY-MM-DD[( |T)HH:MM[:SS[.fffffff]]]'; nullopt if it is not a date.
std::optional<tds_datetime> parse_datetime_text(std::string_view text);

/// A DATETIMEOFFSET: the local wall-clock time and its offset from UTC in minutes.
struct offset_datetime {
  tds_datetime local;
  int offset_minutes = 0;
};

/// Parses a date-time with an optional offset: 'YYYY-MM-DD HH:MM:SS.fffffff +14:00',
/// '...T...-12:00', '...Z'; no offset means +00:00.
std::optional<offset_datetime> parse_offset_datetime_text(std::string_view text);

/// Parses 'HH:MM[:SS[.fffffff]]' (or a date-time's time of day) as 100 ns ticks.
std::optional<std::uint64_t> parse_time_text(std::string_view text);

/// The UTC moment of an offset date-time (what DATETIMEOFFSET carries on the wire).
tds_datetime to_utc(const offset_datetime& v);

/// '+HH:MM' / '-HH:MM' for an offset in minutes.
std::string format_offset_text(int minutes);

/// Formats as 'YYYY-MM-DD HH:MM:SS[.fffffff]' (fraction without trailing zeros), or
/// 'YYYY-MM-DD' alone when `date_only`.
std::string format_datetime_text(const tds_datetime& dt, bool date_only = false);

/// Days between 0001-01-01 and 1900-01-01 (the DATETIME epoch).
inline constexpr std::int64_t days_0001_to_1900 = 693595;

}  // namespace tdsd
