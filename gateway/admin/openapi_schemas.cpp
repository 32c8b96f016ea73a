#include "gateway/admin/openapi_schemas.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <boost/json/array.hpp>
#include <fmt/format.h>

namespace gateway::openapi {

namespace json = boost::json;

namespace {

// The forms router/typed_text.hpp and router/param_binding.cpp accept, as ECMA-262 and
// Python patterns; calendar validity (no 2024-02-30) is checked by the gateway only.
constexpr std::string_view datetime_pattern =
    R"(^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?Z?$)";
constexpr std::string_view date_pattern = R"(^\d{4}-\d{2}-\d{2}$)";
constexpr std::string_view time_pattern = R"(^\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?$)";
constexpr std::string_view offset_pattern =
    R"(^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$)";
constexpr std::string_view uuid_pattern =
    R"(^(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
    R"(|\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\})$)";
constexpr std::string_view decimal_pattern = R"(^[+-]?\d{1,38}(?:\.\d{1,38})?$)";
constexpr std::string_view base64_pattern = R"(^[A-Za-z0-9+/]*={0,2}$)";

/// An integral double as a JSON integer (1, not 1E0), anything else as a double.
json::value number(double value) {
    if (std::trunc(value) == value && std::fabs(value) < 9.0e15) return static_cast<std::int64_t>(value);
    return value;
}

/// The declared type's name as written in the configuration.
std::string_view type_name(conf::param_type type) {
    switch (type) {
        case conf::param_type::int32: return "int";
        case conf::param_type::int64: return "bigint";
        case conf::param_type::number: return "number";
        case conf::param_type::boolean: return "bool";
        case conf::param_type::string: return "string";
        case conf::param_type::datetime: return "datetime";
        case conf::param_type::binary: return "binary";
        case conf::param_type::decimal: return "decimal";
        case conf::param_type::date: return "date";
        case conf::param_type::time: return "time";
        case conf::param_type::datetimeoffset: return "datetimeoffset";
        case conf::param_type::uuid: return "uuid";
    }
    return "string";
}

json::object text_schema(std::string_view pattern, std::string_view format = {}) {
    json::object out{{"type", "string"}};
    if (!format.empty()) out["format"] = format;
    out["pattern"] = pattern;
    return out;
}

/// Type, format and the form's pattern of a declared type.
json::object base_schema(conf::param_type type, value_form form) {
    switch (type) {
        case conf::param_type::int32: return {{"type", "integer"}, {"format", "int32"}};
        case conf::param_type::int64: return {{"type", "integer"}, {"format", "int64"}};
        case conf::param_type::number: return {{"type", "number"}, {"format", "double"}};
        case conf::param_type::boolean: return {{"type", "boolean"}};
        case conf::param_type::string: return {{"type", "string"}};
        case conf::param_type::datetime: return text_schema(datetime_pattern);
        case conf::param_type::binary: {
            json::object out = text_schema(base64_pattern);
            out["contentEncoding"] = "base64";
            return out;
        }
        case conf::param_type::decimal: {
            // a body may send the digits as a JSON number (exact only as far as a double is)
            json::object out = text_schema(decimal_pattern);
            if (form == value_form::json) out["type"] = json::array{"string", "number"};
            return out;
        }
        case conf::param_type::date: return text_schema(date_pattern, "date");
        case conf::param_type::time: return text_schema(time_pattern, "time");
        case conf::param_type::datetimeoffset: return text_schema(offset_pattern, "date-time");
        case conf::param_type::uuid: return text_schema(uuid_pattern, "uuid");
    }
    return {{"type", "string"}};
}

bool numeric(conf::param_type type) {
    return type == conf::param_type::int32 || type == conf::param_type::int64 ||
           type == conf::param_type::number || type == conf::param_type::decimal;
}

/// minimum/maximum: the declared bounds, within the 32-bit range for `int`.
void add_bounds(json::object& out, const conf::param_config& param) {
    std::optional<double> low = param.min;
    std::optional<double> high = param.max;
    if (param.type == conf::param_type::int32) {
        low = std::max(low.value_or(INT32_MIN), static_cast<double>(INT32_MIN));
        high = std::min(high.value_or(INT32_MAX), static_cast<double>(INT32_MAX));
    }
    if (low) out["minimum"] = number(*low);
    if (high) out["maximum"] = number(*high);
}

/// A `default:` (text in the configuration) as the JSON value of its type.
json::value typed_default(const conf::param_config& param) {
    const std::string& text = *param.default_value;
    char* end = nullptr;
    switch (param.type) {
        case conf::param_type::int32:
        case conf::param_type::int64:
        case conf::param_type::number: {
            const double value = std::strtod(text.c_str(), &end);
            if (end != text.c_str() && *end == '\0' && std::isfinite(value)) return number(value);
            return json::value(text);
        }
        case conf::param_type::boolean:
            if (text == "true" || text == "1") return true;
            if (text == "false" || text == "0") return false;
            return json::value(text);
        default: return json::value(text);
    }
}

/// A number within the declared bounds, near 1.
double bounded_example(const conf::param_config& param, bool integral) {
    double value = 1;
    if (param.min && value < *param.min) value = integral ? std::ceil(*param.min) : *param.min;
    if (param.max && value > *param.max) value = integral ? std::floor(*param.max) : *param.max;
    return value;
}

/// A valid value of the parameter, if one can be made without reading its pattern.
std::optional<json::value> example_value(const conf::param_config& param) {
    if (param.default_value) return typed_default(param);
    switch (param.type) {
        case conf::param_type::int32:
        case conf::param_type::int64: return number(bounded_example(param, true));
        case conf::param_type::number: return number(bounded_example(param, false));
        case conf::param_type::decimal: return json::value(fmt::format("{}", bounded_example(param, false)));
        case conf::param_type::boolean: return json::value(true);
        case conf::param_type::datetime: return json::value("2024-03-01T12:30:00");
        case conf::param_type::binary: return json::value("yv4=");
        case conf::param_type::date: return json::value("2024-03-01");
        case conf::param_type::time: return json::value("12:30:00");
        case conf::param_type::datetimeoffset: return json::value("2024-03-01T12:30:00+02:00");
        case conf::param_type::uuid: return json::value("6F9619FF-8B86-D011-B42D-00C04FC964FF");
        case conf::param_type::string: break;
    }
    if (param.pattern) return std::nullopt;
    std::string text = "text";
    if (param.max_length) text.resize(std::min(text.size(), *param.max_length));
    return json::value(text);
}

/// What the schema cannot say: the declared type, bounds on decimal text, byte counts.
std::string describe(const conf::param_config& param) {
    std::string out = fmt::format("declared type `{}`", type_name(param.type));
    if (param.type == conf::param_type::binary && param.max_length) {
        out += fmt::format("; at most {} bytes once decoded", *param.max_length);
    }
    if (param.type == conf::param_type::decimal && (param.min || param.max)) {
        out += "; minimum and maximum apply to the value, written as text too";
    }
    if (param.type == conf::param_type::boolean) out += "; in the URL: true, false, 1 or 0";
    if (param.pattern) out += "; the pattern is RE2 syntax, matched against the whole value";
    return out;
}

}  // namespace

json::object ref(std::string_view section, std::string_view name) {
    return {{"$ref", fmt::format("#/components/{}/{}", section, name)}};
}

json::object error_schema_with(json::array codes) {
    json::object code{{"enum", std::move(codes)}};
    json::object error{{"properties", json::object{{"code", std::move(code)}}}};
    json::object narrowed{{"properties", json::object{{"error", std::move(error)}}}};
    return {{"allOf", json::array{ref("schemas", "Error"), std::move(narrowed)}}};
}

json::object param_schema(const conf::param_config& param, value_form form) {
    json::object out = base_schema(param.type, form);
    if (numeric(param.type)) add_bounds(out, param);
    const bool text = param.type == conf::param_type::string;
    if (text && param.max_length) out["maxLength"] = *param.max_length;
    // RE2 anchors the whole value; a JSON Schema pattern matches anywhere
    if (text && param.pattern) out["pattern"] = "^(?:" + param.pattern->text() + ")$";
    if (param.default_value) out["default"] = typed_default(param);
    if (auto example = example_value(param)) out["examples"] = json::array{std::move(*example)};
    out["description"] = describe(param);
    return out;
}

namespace {

json::object error_schema() {
    json::object detail{{"type", "object"},
                        {"required", json::array{"field", "problem"}},
                        {"additionalProperties", false},
                        {"properties", json::object{{"field", {{"type", "string"}}},
                                                    {"problem", {{"type", "string"}}}}}};
    json::object fields{{"code", {{"type", "string"}, {"pattern", "^[a-z0-9_]+$"}}},
                        {"message", {{"type", "string"}}},
                        {"requestId", {{"type", "string"}}},
                        {"details", {{"type", "array"}, {"items", std::move(detail)}}}};
    json::object error{{"type", "object"},
                       {"required", json::array{"code", "message", "requestId"}},
                       {"additionalProperties", false},
                       {"properties", std::move(fields)}};
    return {{"type", "object"},
            {"description", "The gateway's error: a stable machine code, a message for people, the request id; "
                            "validation_failed lists every bad field in details."},
            {"required", json::array{"error"}},
            {"additionalProperties", false},
            {"properties", json::object{{"error", std::move(error)}}}};
}

json::object row_schema() {
    return {{"type", "object"},
            {"description", "One result row: the statement's column names (their aliases) as keys; "
                            "values as in the README's SQL Server to JSON table"},
            {"additionalProperties", {{"type", json::array{"string", "number", "boolean", "null"}}}}};
}

json::object string_map() {
    return {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
}

}  // namespace

json::object component_schemas() {
    return {{"Error", error_schema()}, {"Row", row_schema()}};
}

json::object sql_result_schema(const conf::route_config& route) {
    switch (route.result) {
        case conf::result_mode::one: return ref("schemas", "Row");
        case conf::result_mode::exec:
            return {{"type", "object"},
                    {"required", json::array{"rowsAffected"}},
                    {"additionalProperties", false},
                    {"properties", json::object{{"rowsAffected", {{"type", "integer"}}}}}};
        case conf::result_mode::many: break;
    }
    return {{"type", "array"}, {"maxItems", route.max_rows}, {"items", ref("schemas", "Row")}};
}

json::object login_result_schema() {
    json::object fields{{"token", {{"type", "string"}, {"description", "HS256 JWT for Authorization: Bearer"}}},
                        {"expiresAt", {{"type", "string"}, {"format", "date-time"}}},
                        {"tenant", {{"type", "string"}}},
                        {"user", ref("schemas", "Row")}};
    return {{"type", "object"},
            {"required", json::array{"token", "expiresAt", "tenant", "user"}},
            {"additionalProperties", false},
            {"properties", std::move(fields)}};
}

json::object echo_result_schema() {
    json::object fields{
        {"tenant", {{"type", json::array{"string", "null"}}}},
        {"tenantSource", {{"enum", json::array{"query", "subdomain", "header", "token", nullptr}}}},
        {"route", {{"type", "string"}}},
        {"method", {{"type", "string"}}},
        {"path", {{"type", "string"}}},
        {"params", string_map()},
        {"query", string_map()}};
    return {{"type", "object"},
            {"required", json::array{"tenant", "tenantSource", "route", "method", "path", "params", "query"}},
            {"additionalProperties", false},
            {"properties", std::move(fields)}};
}

}  // namespace gateway::openapi
