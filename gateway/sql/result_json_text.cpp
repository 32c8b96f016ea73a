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

void append_integer(std::string& out, std::int64_t v) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    const bool quoted = v > max_exact_json_integer || v < -max_exact_json_integer;
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

struct cell_writer {
    std::string& out;

    void operator()(std::monostate) const { out += "null"; }
    void operator()(std::int64_t v) const { append_integer(out, v); }
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

void append_cell_json(std::string& out, const tds_pool::sql_value& value) {
    std::visit(cell_writer{out}, value);
}

row_object_writer::row_object_writer(const tds_pool::row_set& set)
    : set_(set), fields_(plan(set.columns, set.columns.size())) {}

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
        append_cell_json(out, cells[f.column]);
    }
    out += '}';
}

rows_text many_to_json_text(const tds_pool::query_result& result, std::size_t max_rows) {
    rows_text out;
    out.body += '[';
    if (!result.sets.empty()) {
        const auto& set = result.sets.front();
        const std::size_t count = std::min(set.rows.size(), max_rows);
        const row_object_writer writer(set);
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

std::optional<std::string> one_to_json_text(const tds_pool::query_result& result) {
    if (result.sets.empty() || result.sets.front().rows.empty()) return std::nullopt;
    const auto& set = result.sets.front();
    std::string out;
    row_object_writer(set).append(out, set.rows.front());
    return out;
}

}  // namespace gateway
