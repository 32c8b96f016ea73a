#pragma once
// Exact decimals for DECIMAL/NUMERIC/MONEY: tdsd stores them in SQLite as text digits
// (a REAL would lose a 38-digit value) and sends them as scaled integers of up to 128 bits.
#include <optional>
#include <string>
#include <string_view>

namespace tdsd {

__extension__ typedef unsigned __int128 uint128;

/// A decimal as the wire carries it: sign and magnitude scaled by 10^scale.
struct scaled_decimal {
  bool negative = false;
  uint128 magnitude = 0;
};

/// Parses "-123.4500", "12", "1.5e3" at `scale` digits after the point, rounding half
/// away from zero as SQL Server converts; nullopt when it is not a number or needs more
/// than 38 digits.
std::optional<scaled_decimal> parse_decimal(std::string_view text, unsigned scale);

/// Formats a scaled value with exactly `scale` digits after the point ("-0.50").
std::string format_decimal(const scaled_decimal& value, unsigned scale);

/// Number of decimal digits of `v` (1 for 0).
unsigned digit_count(uint128 v);

/// Compares two decimal texts by value (<0, 0, >0); texts that are not numbers compare
/// as bytes after every number. The TDS_DECIMAL collation of decimal columns.
int compare_decimal_text(std::string_view a, std::string_view b);

}  // namespace tdsd
