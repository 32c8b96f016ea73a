#pragma once
// Binding a SQL route's declared parameters to values taken from the request: path
// captures, query string, JSON body fields and verified token claims. Every value is
// converted to its declared type and checked (required, min/max, max_length, pattern);
// all problems are collected so the client learns about every bad field at once.
// Request data only ever becomes a parameter value, never SQL text.
//
// Hostile values are refused, never allowed to hang or crash the process: text must be
// valid UTF-8 without NUL, numbers must be finite (a JSON 1e999 is not), and patterns
// are RE2 (compiled at config load, linear time in the value's length).
//
// Rules for absent values: a missing field, a JSON null, and an empty text value for a
// non-string type count as absent; an absent value takes the default (parsed like text)
// or, when required, is a problem; otherwise it is bound as a typed NULL.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "conf/config.hpp"

namespace router {

/// Text from the URL or a claim: parsed according to the declared type.
struct text_input {
    std::string value;
};
/// A JSON null in the body.
struct json_null {};
/// A JSON object or array in the body: never a valid scalar parameter.
struct json_composite {};

/// One raw input value: text, or a JSON scalar from the body (bool, integer, number,
/// string).
using input_value =
    std::variant<text_input, json_null, bool, std::int64_t, double, std::string, json_composite>;

/// The fields of one source, in request order (the first occurrence of a key wins).
using input_fields = std::vector<std::pair<std::string, input_value>>;

/// Everything parameters may be read from.
struct binding_inputs {
    input_fields path;
    input_fields query;
    input_fields body;
    input_fields claims;
};

/// A date and time without zone (a trailing Z is accepted and dropped: values are UTC).
struct bound_datetime {
    int year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0;
    std::int32_t nanosecond = 0;
    friend bool operator==(const bound_datetime&, const bound_datetime&) = default;
};

/// A typed value ready to be sent; monostate is a NULL of the declared type.
using bound_value = std::variant<std::monostate, std::int64_t, double, bool, std::string,
                                 std::vector<std::uint8_t>, bound_datetime>;

/// One bound parameter.
struct bound_param {
    std::string name;  ///< the @name in the SQL text
    conf::param_type type = conf::param_type::string;
    bound_value value;
};

/// One invalid field: `field` is the name the client used (key or name).
struct field_problem {
    std::string field;
    std::string problem;
};

/// All parameters bound, or every problem found.
struct binding_result {
    std::vector<bound_param> params;
    std::vector<field_problem> problems;
    bool ok() const noexcept { return problems.empty(); }
};

/// Binds every declared parameter of a route from `inputs`.
binding_result bind_params(const std::vector<conf::param_config>& params,
                           const binding_inputs& inputs);

/// Decodes standard base64 (with or without padding; OpenSSL's EVP_DecodeBlock); nullopt
/// when malformed.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);

/// Parses "YYYY-MM-DD", optionally followed by "THH:MM[:SS[.fraction]]" and "Z".
std::optional<bound_datetime> parse_datetime(std::string_view text);

}  // namespace router
