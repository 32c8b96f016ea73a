#include "tds_pool/sql_value.hpp"

#include <charconv>

namespace tds_pool {

std::string sql_datetime::to_iso8601() const {
    std::string text;
    append_iso8601(text);
    return text;
}

namespace {

// Zero-padded to `width` after the sign, like fmt's "{:0N}": a hand-written form because
// a list of rows formats a date per row and fmt's format-string parsing showed up there.
void append_padded(std::string& out, long value, int width) {
    char digits[24];
    const unsigned long magnitude = value < 0 ? 0UL - static_cast<unsigned long>(value)
                                              : static_cast<unsigned long>(value);
    const char* end = std::to_chars(digits, digits + sizeof digits, magnitude).ptr;
    const auto count = static_cast<int>(end - digits);
    if (value < 0) {
        out += '-';
        --width;
    }
    if (count < width) out.append(static_cast<std::size_t>(width - count), '0');
    out.append(digits, static_cast<std::size_t>(count));
}

}  // namespace

void sql_datetime::append_iso8601(std::string& out) const {
    append_padded(out, year, 4);
    out += '-';
    append_padded(out, month, 2);
    out += '-';
    append_padded(out, day, 2);
    out += 'T';
    append_padded(out, hour, 2);
    out += ':';
    append_padded(out, minute, 2);
    out += ':';
    append_padded(out, second, 2);
    if (nanosecond != 0) {
        // DATETIME2 has 100 ns resolution: seven digits keep every value exact.
        out += '.';
        append_padded(out, nanosecond / 100, 7);
    }
}

std::string_view column_type_name(column_type t) noexcept {
    switch (t) {
    case column_type::integer: return "integer";
    case column_type::floating: return "float";
    case column_type::boolean: return "boolean";
    case column_type::text: return "text";
    case column_type::binary: return "binary";
    case column_type::datetime: return "datetime";
    case column_type::decimal: return "decimal";
    case column_type::date: return "date";
    case column_type::time: return "time";
    case column_type::datetimeoffset: return "datetimeoffset";
    case column_type::uuid: return "uuid";
    case column_type::other: return "other";
    }
    return "other";
}

}  // namespace tds_pool
