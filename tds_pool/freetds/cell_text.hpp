#pragma once
// The canonical text of the cells that have no numeric JSON form: DATE, TIME,
// DATETIMEOFFSET, UNIQUEIDENTIFIER, and the exact digits of MONEY. Pure functions over
// the values db-lib hands out, so they are tested without a server.

#include <cstdint>
#include <span>
#include <string>

namespace tds_pool::detail {

/// "YYYY-MM-DD" of a date `days` after 1900-01-01 (negative: before).
std::string date_text(std::int64_t days);

/// "HH:MM:SS" plus ".fffffff" when the 100 ns ticks have a fraction.
std::string time_text(std::uint64_t ticks_100ns);

/// ISO 8601 with its offset, "2024-05-01T10:20:30.1234567+14:00", from the UTC date
/// (days after 1900-01-01) and time db-lib holds and the offset in minutes.
std::string offset_datetime_text(std::int64_t utc_days, std::uint64_t utc_ticks, int offset_minutes);

/// MONEY's count of 1/10000 as exact digits with four decimals ("-922337203685477.5808").
std::string money_text(std::int64_t ten_thousandths);

/// A UNIQUEIDENTIFIER as SQL Server prints it: upper-case hex, the first three groups
/// read little-endian ("6F9619FF-8B86-D011-B42D-00C04FC964FF").
std::string uuid_text(std::span<const std::uint8_t, 16> bytes);

}  // namespace tds_pool::detail
