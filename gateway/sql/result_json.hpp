#pragma once
// Row sets to JSON, column type by column type (the README's type table):
//   integer  -> JSON number; with bigint_as: string, beyond ±(2^53-1) (where a double,
//               a JavaScript number, would lose digits) a JSON string of the exact digits;
//   decimal  -> DECIMAL/NUMERIC/MONEY: a JSON number with the server's exact digits, or
//               with decimal_as: string a JSON string of them; never through a double;
//   floating -> number (NaN/infinity -> null); boolean -> true/false;
//   text, date, time, datetimeoffset, uuid, other -> string (their canonical text);
//   datetime -> ISO 8601 string; binary -> standard base64 string; NULL -> null.
// Result modes: `many` is an array of row objects capped at max_rows (truncation is
// signalled by the header X-Result-Truncated: true, the body stays a plain array);
// `one` is the first row as an object; `exec` is {"rowsAffected": N}.
// The sql route writes `many` and `one` as text with result_json_text.hpp (no DOM); the
// value forms here serve the login route and are the reference that text is tested against.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "tds_pool/sql_value.hpp"

namespace gateway {

/// Largest integer a double (a JavaScript number) holds exactly.
inline constexpr std::int64_t max_exact_json_integer = (std::int64_t{1} << 53) - 1;

/// Which numbers a route writes as JSON strings (`decimal_as`, `bigint_as`).
struct number_forms {
    bool decimal_as_string = false;
    bool bigint_as_string = false;
    friend bool operator==(const number_forms&, const number_forms&) = default;
};

/// One cell as JSON (see the file comment); the value's alternative already carries
/// its column type family. A Boost.JSON value holds no exact decimal, so this form
/// writes decimals as strings whatever `forms` say (the login route has none); the sql
/// route's text form (result_json_text.hpp) writes them as exact numbers.
boost::json::value cell_to_json(const tds_pool::sql_value& value, number_forms forms = {});

/// Standard base64 with padding (OpenSSL's EVP_EncodeBlock).
std::string encode_base64(const std::vector<std::uint8_t>& bytes);

/// Appends the standard base64 (with padding) of `size` bytes at `bytes` to `out`.
void append_base64(std::string& out, const std::uint8_t* bytes, std::size_t size);

/// One row as an object keyed by column name (a later duplicate name wins).
boost::json::object row_to_json(const tds_pool::row_set& set, std::size_t row);

/// The rows of a set as an array, at most `max_rows`; `truncated` says rows were left out.
struct rows_json {
    boost::json::array rows;
    bool truncated = false;
};

/// The first result set's rows (an empty array when there is no set), capped.
rows_json many_to_json(const tds_pool::query_result& result, std::size_t max_rows);

/// The first row of the first result set; nullopt when there is none.
std::optional<boost::json::object> one_to_json(const tds_pool::query_result& result);

/// {"rowsAffected": N}: the sum of the counts the statements reported.
boost::json::object exec_to_json(const tds_pool::query_result& result);

}  // namespace gateway
