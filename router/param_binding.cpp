#include "router/param_binding.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "router/typed_text.hpp"
#include "router/utf8.hpp"

namespace router {

namespace {

/// A converted value or the problem with it.
using converted = std::variant<bound_value, std::string>;

const input_fields& fields_of(const binding_inputs& inputs, conf::param_source source) {
    switch (source) {
        case conf::param_source::path: return inputs.path;
        case conf::param_source::query: return inputs.query;
        case conf::param_source::body: return inputs.body;
        case conf::param_source::claim: return inputs.claims;
    }
    return inputs.query;
}

const input_value* find_field(const input_fields& fields, const std::string& key) {
    for (const auto& [name, value] : fields) {
        if (name == key) return &value;
    }
    return nullptr;
}

/// True when the value counts as not given (see the header's rules).
bool is_absent(const input_value* value, conf::param_type type) {
    if (value == nullptr || std::holds_alternative<json_null>(*value)) return true;
    const auto* text = std::get_if<text_input>(value);
    return text != nullptr && text->value.empty() && type != conf::param_type::string;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t out = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return out;
}

std::optional<double> parse_number(std::string_view text) {
    double out = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (ec != std::errc() || ptr != end || !std::isfinite(out)) return std::nullopt;
    return out;
}

converted to_integer(const input_value& in, conf::param_type type) {
    std::optional<std::int64_t> value;
    if (const auto* text = std::get_if<text_input>(&in)) {
        value = parse_integer(text->value);
    } else if (const auto* i = std::get_if<std::int64_t>(&in)) {
        value = *i;
    } else if (const auto* d = std::get_if<double>(&in)) {
        // 5.0 is an integer; 5.5 and values outside int64 are not
        if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) {
            value = static_cast<std::int64_t>(*d);
        }
    }
    if (!value) return std::string("expected an integer");
    if (type == conf::param_type::int32 && (*value < INT32_MIN || *value > INT32_MAX)) {
        return std::string("outside the 32-bit integer range");
    }
    return bound_value(*value);
}

converted to_number(const input_value& in) {
    std::optional<double> value;
    if (const auto* text = std::get_if<text_input>(&in)) {
        value = parse_number(text->value);
    } else if (const auto* i = std::get_if<std::int64_t>(&in)) {
        value = static_cast<double>(*i);
    } else if (const auto* d = std::get_if<double>(&in)) {
        value = *d;
    }
    // a JSON 1e999 arrives as infinity: never a value, nor comparable with min and max
    if (!value || !std::isfinite(*value)) return std::string("expected a finite number");
    return bound_value(*value);
}

converted to_boolean(const input_value& in) {
    if (const auto* b = std::get_if<bool>(&in)) return bound_value(*b);
    if (const auto* text = std::get_if<text_input>(&in)) {
        if (text->value == "true" || text->value == "1") return bound_value(true);
        if (text->value == "false" || text->value == "0") return bound_value(false);
    }
    return std::string("expected true or false");
}

/// The text of a text or JSON string input; nullptr for other JSON values.
const std::string* text_of(const input_value& in) {
    if (const auto* text = std::get_if<text_input>(&in)) return &text->value;
    return std::get_if<std::string>(&in);
}

converted to_string(const input_value& in) {
    if (const auto* text = text_of(in)) return bound_value(*text);
    return std::string("expected a string");
}

converted to_datetime(const input_value& in) {
    const auto* text = text_of(in);
    if (text == nullptr) return std::string("expected an ISO 8601 date-time string");
    auto value = parse_datetime(*text);
    if (!value) return std::string("expected an ISO 8601 date-time such as 2024-03-01T12:30:00Z");
    return bound_value(*value);
}

converted to_binary(const input_value& in) {
    const auto* text = text_of(in);
    auto bytes = text ? decode_base64(*text) : std::nullopt;
    if (!bytes) return std::string("expected base64 data");
    return bound_value(std::move(*bytes));
}

const char* canonical_problem(conf::param_type type) {
    switch (type) {
        case conf::param_type::decimal: return "expected a decimal number such as -12.50 (at most 38 digits)";
        case conf::param_type::date: return "expected a date such as 2024-03-01";
        case conf::param_type::time: return "expected a time such as 12:30:00 or 12:30:00.1234567";
        case conf::param_type::datetimeoffset:
            return "expected a date-time with offset such as 2024-03-01T12:30:00+02:00";
        default: return "expected a UUID such as 6F9619FF-8B86-D011-B42D-00C04FC964FF";
    }
}

/// decimal, date, time, datetimeoffset, uuid: the canonical text of typed_text.hpp.
converted to_canonical_text(const input_value& in, conf::param_type type) {
    const auto* text = text_of(in);
    std::string number;
    if (type == conf::param_type::decimal && text == nullptr) {
        // A JSON number: an integer exactly; a fraction only as exactly as the double it
        // arrived as (clients that need every digit send a string).
        if (const auto* i = std::get_if<std::int64_t>(&in)) number = std::to_string(*i);
        if (const auto* d = std::get_if<double>(&in); d && std::isfinite(*d)) number = fmt::format("{}", *d);
        if (number.find_first_of("eE") != std::string::npos) number.clear();
        if (!number.empty()) text = &number;
    }
    if (text == nullptr) return std::string(canonical_problem(type));
    std::optional<std::string> value;
    switch (type) {
        case conf::param_type::decimal: value = canonical_decimal(*text); break;
        case conf::param_type::date: value = canonical_date(*text); break;
        case conf::param_type::time: value = canonical_time(*text); break;
        case conf::param_type::datetimeoffset: value = canonical_datetimeoffset(*text); break;
        default: value = canonical_uuid(*text); break;
    }
    if (!value) return std::string(canonical_problem(type));
    // Built in place: a temporary bound_value here trips g++ 12's -Wfree-nonheap-object.
    return converted(std::in_place_index<0>, std::in_place_type<std::string>, std::move(*value));
}

/// Why client text cannot be a value of any type, if it cannot: the database and every
/// JSON answer need valid UTF-8, and NUL truncates C strings on the way.
std::optional<std::string> text_problem(const input_value& in) {
    const std::string* text = text_of(in);
    if (text == nullptr) return std::nullopt;
    if (!is_valid_utf8(*text)) return std::string("must be valid UTF-8");
    if (text->find('\0') != std::string::npos) return std::string("must not contain NUL characters");
    return std::nullopt;
}

converted convert(const input_value& in, conf::param_type type) {
    if (std::holds_alternative<json_composite>(in)) return std::string("expected a single value");
    if (auto problem = text_problem(in)) return std::move(*problem);
    switch (type) {
        case conf::param_type::int32:
        case conf::param_type::int64: return to_integer(in, type);
        case conf::param_type::number: return to_number(in);
        case conf::param_type::boolean: return to_boolean(in);
        case conf::param_type::string: return to_string(in);
        case conf::param_type::datetime: return to_datetime(in);
        case conf::param_type::binary: return to_binary(in);
        case conf::param_type::decimal:
        case conf::param_type::date:
        case conf::param_type::time:
        case conf::param_type::datetimeoffset:
        case conf::param_type::uuid: return to_canonical_text(in, type);
    }
    return std::string("unsupported type");
}

std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text) {
        if ((c & 0xC0) != 0x80) ++count;  // continuation bytes do not start a character
    }
    return count;
}

std::string format_limit(double value) { return fmt::format("{}", value); }

/// The constraint a converted value breaks, if any.
std::optional<std::string> check_constraints(const conf::param_config& param, const bound_value& value) {
    std::optional<double> numeric;
    if (const auto* i = std::get_if<std::int64_t>(&value)) numeric = static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&value)) numeric = *d;
    if (const auto* t = std::get_if<std::string>(&value); t && param.type == conf::param_type::decimal) {
        numeric = std::strtod(t->c_str(), nullptr);  // bounds from YAML are doubles anyway
    }
    if (numeric && param.min && *numeric < *param.min) {
        return "must be at least " + format_limit(*param.min);
    }
    if (numeric && param.max && *numeric > *param.max) {
        return "must be at most " + format_limit(*param.max);
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        if (param.max_length && utf8_length(*text) > *param.max_length) {
            return fmt::format("must be at most {} characters long", *param.max_length);
        }
        if (param.pattern && !param.pattern->full_match(*text)) {
            return std::string("does not match the required pattern");
        }
    }
    if (const auto* bytes = std::get_if<std::vector<std::uint8_t>>(&value)) {
        if (param.max_length && bytes->size() > *param.max_length) {
            return fmt::format("must be at most {} bytes long", *param.max_length);
        }
    }
    return std::nullopt;
}

/// Binds one parameter, appending to `out`.
void bind_one(const conf::param_config& param, const binding_inputs& inputs, binding_result& out) {
    const std::string& key = param.key.empty() ? param.name : param.key;
    const input_value* raw = find_field(fields_of(inputs, param.source), key);
    std::optional<input_value> chosen;
    if (!is_absent(raw, param.type)) {
        chosen = *raw;
    } else if (param.default_value) {
        chosen = text_input{*param.default_value};
    } else if (param.required) {
        out.problems.push_back({key, "is required"});
        return;
    } else {
        out.params.push_back({param.name, param.type, std::monostate{}});
        return;
    }
    converted value = convert(*chosen, param.type);
    if (auto* problem = std::get_if<std::string>(&value)) {
        out.problems.push_back({key, std::move(*problem)});
        return;
    }
    auto& bound = std::get<bound_value>(value);
    if (auto problem = check_constraints(param, bound)) {
        out.problems.push_back({key, std::move(*problem)});
        return;
    }
    out.params.push_back({param.name, param.type, std::move(bound)});
}

/// Reads exactly `width` digits at `pos` into `out`.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
    if (pos + width > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool valid_date(const bound_datetime& v) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (v.year < 1 || v.month < 1 || v.month > 12 || v.day < 1) return false;
    const int limit = days[v.month - 1] + (v.month == 2 && is_leap(v.year) ? 1 : 0);
    return v.day <= limit && v.hour < 24 && v.minute < 60 && v.second < 60;
}

/// Parses ".fffffff" (1..9 digits) at `pos`; returns the position after it.
std::optional<std::size_t> read_fraction(std::string_view text, std::size_t pos, std::int32_t& ns) {
    if (pos >= text.size() || text[pos] != '.') return pos;
    std::size_t end = pos + 1;
    std::int32_t value = 0;
    int digits = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
        if (++digits > 9) return std::nullopt;
        value = value * 10 + (text[end] - '0');
        ++end;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) value *= 10;
    ns = value;
    return end;
}

}  // namespace

binding_result bind_params(const std::vector<conf::param_config>& params,
                           const binding_inputs& inputs) {
    binding_result out;
    for (const conf::param_config& param : params) bind_one(param, inputs, out);
    return out;
}

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    // EVP_DecodeBlock skips blanks and reads '=' anywhere: only the alphabet may remain.
    if (text.size() % 4 == 1 || text.find_first_not_of(alphabet) != std::string_view::npos) {
        return std::nullopt;
    }
    // It decodes whole 4-character groups, '=' as zero bits, in int-sized pieces.
    const std::size_t padding = (4 - text.size() % 4) % 4;
    std::string padded(text);
    padded.append(padding, '=');
    constexpr std::size_t piece = 4 * 1024 * 1024;
    std::vector<std::uint8_t> out(padded.size() / 4 * 3);
    std::uint8_t* dest = out.data();
    for (std::size_t done = 0; done < padded.size(); done += piece) {
        const std::size_t n = std::min(piece, padded.size() - done);
        const auto* src = reinterpret_cast<const unsigned char*>(padded.data() + done);
        const int written = EVP_DecodeBlock(dest, src, static_cast<int>(n));
        if (written < 0) return std::nullopt;
        dest += written;
    }
    out.resize(out.size() - padding);
    return out;
}

std::optional<bound_datetime> parse_datetime(std::string_view text) {
    bound_datetime v;
    if (!read_digits(text, 0, 4, v.year) || text.size() < 10 || text[4] != '-' || text[7] != '-' ||
        !read_digits(text, 5, 2, v.month) || !read_digits(text, 8, 2, v.day)) {
        return std::nullopt;
    }
    std::size_t pos = 10;
    if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
        if (!read_digits(text, pos + 1, 2, v.hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !read_digits(text, pos + 4, 2, v.minute)) {
            return std::nullopt;
        }
        pos += 6;
        if (pos < text.size() && text[pos] == ':') {
            if (!read_digits(text, pos + 1, 2, v.second)) return std::nullopt;
            auto after = read_fraction(text, pos + 3, v.nanosecond);
            if (!after) return std::nullopt;
            pos = *after;
        }
    }
    if (pos < text.size() && text[pos] == 'Z') ++pos;
    if (pos != text.size() || !valid_date(v)) return std::nullopt;
    return v;
}

}  // namespace router
