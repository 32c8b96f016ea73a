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

/// Formats as 'YYYY-MM-DD HH:MM:SS[.fffffff]' (fraction without trailing zeros), or
/// 'YYYY-MM-DD' alone when `date_only`.
std::string format_datetime_text(const tds_datetime& dt, bool date_only = false);

/// Days between 0001-01-01 and 1900-01-01 (the DATETIME epoch).
inline constexpr std::int64_t days_0001_to_1900 = 693595;

}  // namespace tdsd
