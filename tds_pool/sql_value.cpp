#include "tds_pool/sql_value.hpp"

#include <fmt/format.h>

namespace tds_pool {

std::string sql_datetime::to_iso8601() const {
    std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", year, month, day, hour,
                                   minute, second);
    if (nanosecond != 0) {
        // DATETIME2 has 100 ns resolution: seven digits keep every value exact.
        text += fmt::format(".{:07}", nanosecond / 100);
    }
    return text;
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
    case column_type::other: return "other";
    }
    return "other";
}

}  // namespace tds_pool
