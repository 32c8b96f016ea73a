#include "tds_pool/freetds/cell_text.hpp"

#include <chrono>

#include <fmt/format.h>

#include "tds_pool/freetds/row_reader.hpp"

namespace tds_pool::detail {

namespace {

constexpr std::uint64_t ticks_per_second = 10'000'000ULL;
constexpr std::int64_t ticks_per_minute = 60LL * 10'000'000LL;
constexpr std::int64_t ticks_per_day = 86'400LL * 10'000'000LL;

}  // namespace

std::string date_text(std::int64_t days) {
    const sql_datetime dt = datetime_from_parts(days, 0);
    return fmt::format("{:04}-{:02}-{:02}", dt.year, dt.month, dt.day);
}

std::string time_text(std::uint64_t ticks_100ns) {
    const std::uint64_t seconds = ticks_100ns / ticks_per_second;
    std::string out = fmt::format("{:02}:{:02}:{:02}", seconds / 3600U, seconds / 60U % 60U, seconds % 60U);
    if (const std::uint64_t fraction = ticks_100ns % ticks_per_second; fraction != 0) {
        out += fmt::format(".{:07}", fraction);
    }
    return out;
}

std::string offset_datetime_text(std::int64_t utc_days, std::uint64_t utc_ticks, int offset_minutes) {
    // The wire holds UTC; SQL Server shows the local time of the offset.
    std::int64_t total = static_cast<std::int64_t>(utc_ticks) + offset_minutes * ticks_per_minute;
    std::int64_t days = utc_days;
    if (total < 0) {
        total += ticks_per_day;
        --days;
    } else if (total >= ticks_per_day) {
        total -= ticks_per_day;
        ++days;
    }
    std::string out = datetime_from_parts(days, static_cast<std::uint64_t>(total)).to_iso8601();
    const int magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    out += fmt::format("{}{:02}:{:02}", offset_minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
    return out;
}

std::string money_text(std::int64_t ten_thousandths) {
    // Unsigned magnitude: the smallest MONEY has no positive counterpart in int64.
    const std::uint64_t magnitude = ten_thousandths < 0 ? 0 - static_cast<std::uint64_t>(ten_thousandths)
                                                        : static_cast<std::uint64_t>(ten_thousandths);
    return fmt::format("{}{}.{:04}", ten_thousandths < 0 ? "-" : "", magnitude / 10'000U, magnitude % 10'000U);
}

std::string uuid_text(std::span<const std::uint8_t, 16> b) {
    return fmt::format("{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-"
                       "{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
                       b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12],
                       b[13], b[14], b[15]);
}

}  // namespace tds_pool::detail
