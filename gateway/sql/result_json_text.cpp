#include "gateway/sql/result_json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <variant>

#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>

#include "gateway/telemetry/json_text.hpp"
#include "gateway/sql/result_json.hpp"

namespace gateway {

namespace {

void append_integer(std::string& out, std::int64_t v, bool beyond_as_string) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    const bool quoted = beyond_as_string && (v > max_exact_json_integer || v < -max_exact_json_integer);
    if (quoted) out += '"';
    out.append(digits, end);
    if (quoted) out += '"';
}

// Boost.JSON's own number form (its shortest round-trip digits, e.g. 2.5E-1), so the
// text matches what serialising a boost::json::value gives; a scalar needs no allocation.
void append_double(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    const boost::json::value number(v);
    boost::json::serializer serializer;
    serializer.reset(&number);
    char text[64];
    while (!serializer.done()) out += serializer.read(text, sizeof text);
}

// The server's digits as a JSON number: JSON wants a digit before the point ("-.5" is
// not a number); anything that is not plain digits becomes a string rather than bad JSON.
void append_decimal(std::string& out, const std::string& digits, bool as_string) {
    const bool plain = !digits.empty() &&
                       digits.find_first_not_of("-.0123456789") == std::string::npos &&
                       digits.find_first_of("0123456789") != std::string::npos;
    if (as_string || !plain) {
        append_json_string(out, digits);
        return;
    }
    const std::size_t sign = digits[0] == '-' ? 1 : 0;
    out.append(digits, 0, sign);
    if (sign < digits.size() && digits[sign] == '.') out += '0';
    out.append(digits, sign, std::string::npos);
}

struct cell_writer {
    std::string& out;
    number_forms forms;

    void operator()(std::monostate) const { out += "null"; }
    void operator()(std::int64_t v) const { append_integer(out, v, forms.bigint_as_string); }
    void operator()(const tds_pool::sql_decimal& v) const { append_decimal(out, v.digits, forms.decimal_as_string); }
    void operator()(double v) const { append_double(out, v); }
    void operator()(bool v) const { out += v ? "true" : "false"; }
    void operator()(const std::string& v) const { append_json_string(out, v); }
    void operator()(const std::vector<std::uint8_t>& v) const {
        out += '"';
        append_base64(out, v.data(), v.size());
        out += '"';
    }
    void operator()(const tds_pool::sql_datetime& v) const {
        // Digits and separators only: nothing to escape.
        out += '"';
        v.append_iso8601(out);
        out += '"';
    }
};

}  // namespace

void append_cell_json(std::string& out, const tds_pool::sql_value& value, number_forms forms) {
    std::visit(cell_writer{out, forms}, value);
}

row_object_writer::row_object_writer(const tds_pool::row_set& set, number_forms forms)
    : set_(set), forms_(forms), fields_(plan(set.columns, set.columns.size())) {}

std::vector<row_object_writer::field> row_object_writer::plan(
    const std::vector<tds_pool::column_info>& columns, std::size_t width) {
    std::vector<field> fields;
    std::vector<std::string_view> names;
    for (std::size_t c = 0; c < width; ++c) {
        const std::string_view name = columns[c].name;
        const auto seen = std::find(names.begin(), names.end(), name);
        if (seen != names.end()) {
            fields[static_cast<std::size_t>(seen - names.begin())].column = c;
            continue;
        }
        std::string key = fields.empty() ? "" : ",";
        append_json_string(key, name);
        key += ':';
        fields.push_back({std::move(key), c});
        names.push_back(name);
    }
    return fields;
}

void row_object_writer::append(std::string& out, const std::vector<tds_pool::sql_value>& cells) const {
    if (cells.size() >= set_.columns.size()) {
        append_fields(out, fields_, cells);
    } else {
        // A short row (not produced by the row reader): only its own cells count.
        append_fields(out, plan(set_.columns, cells.size()), cells);
    }
}

void row_object_writer::append_fields(std::string& out, const std::vector<field>& fields,
                                      const std::vector<tds_pool::sql_value>& cells) const {
    out += '{';
    for (const field& f : fields) {
        out += f.key;
        append_cell_json(out, cells[f.column], forms_);
    }
    out += '}';
}

rows_text many_to_json_text(const tds_pool::query_result& result, std::size_t max_rows,
                            number_forms forms) {
    rows_text out;
    out.body += '[';
    if (!result.sets.empty()) {
        const auto& set = result.sets.front();
        const std::size_t count = std::min(set.rows.size(), max_rows);
        const row_object_writer writer(set, forms);
        for (std::size_t r = 0; r < count; ++r) {
            if (r > 0) out.body += ',';
            writer.append(out.body, set.rows[r]);
            if (r == 0) {
                // Rows are alike in size: one reservation instead of repeated regrowth.
                out.body.reserve(out.body.size() * count + out.body.size() * count / 4);
            }
        }
        out.truncated = set.rows.size() > max_rows;
    }
    out.body += ']';
    return out;
}

std::optional<std::string> one_to_json_text(const tds_pool::query_result& result, number_forms forms) {
    if (result.sets.empty() || result.sets.front().rows.empty()) return std::nullopt;
    const auto& set = result.sets.front();
    std::string out;
    row_object_writer(set, forms).append(out, set.rows.front());
    return out;
}

}  // namespace gateway
