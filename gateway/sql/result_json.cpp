#include "gateway/sql/result_json.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <variant>

#include <openssl/evp.h>

namespace gateway {

namespace {

boost::json::value integer_to_json(std::int64_t v, bool beyond_as_string) {
    if (beyond_as_string && (v > max_exact_json_integer || v < -max_exact_json_integer)) {
        return boost::json::string(std::to_string(v));
    }
    return v;
}

struct cell_visitor {
    number_forms forms;

    boost::json::value operator()(std::monostate) const { return nullptr; }
    boost::json::value operator()(std::int64_t v) const { return integer_to_json(v, forms.bigint_as_string); }
    boost::json::value operator()(const tds_pool::sql_decimal& v) const { return boost::json::string(v.digits); }
    boost::json::value operator()(double v) const {
        if (!std::isfinite(v)) return nullptr;
        return v;
    }
    boost::json::value operator()(bool v) const { return v; }
    boost::json::value operator()(const std::string& v) const { return boost::json::string(v); }
    boost::json::value operator()(const std::vector<std::uint8_t>& v) const {
        return boost::json::string(encode_base64(v));
    }
    boost::json::value operator()(const tds_pool::sql_datetime& v) const {
        return boost::json::string(v.to_iso8601());
    }
};

}  // namespace

boost::json::value cell_to_json(const tds_pool::sql_value& value, number_forms forms) {
    return std::visit(cell_visitor{forms}, value);
}

std::string encode_base64(const std::vector<std::uint8_t>& bytes) {
    std::string out;
    append_base64(out, bytes.data(), bytes.size());
    return out;
}

void append_base64(std::string& out, const std::uint8_t* bytes, std::size_t size) {
    // EVP_EncodeBlock takes an int length and writes a closing NUL: a long value goes in
    // pieces of whole 3-byte groups, and the NUL is cut off at the end.
    constexpr std::size_t piece = 3 * 1024 * 1024;
    const std::size_t start = out.size();
    const std::size_t encoded = (size + 2) / 3 * 4;
    out.resize(start + encoded + 1);
    auto* dest = reinterpret_cast<unsigned char*>(out.data() + start);
    for (std::size_t done = 0; done < size; done += piece) {
        const std::size_t n = std::min(piece, size - done);
        dest += EVP_EncodeBlock(dest, bytes + done, static_cast<int>(n));
    }
    out.resize(start + encoded);
}

boost::json::object row_to_json(const tds_pool::row_set& set, std::size_t row) {
    boost::json::object out;
    const auto& cells = set.rows.at(row);
    for (std::size_t c = 0; c < set.columns.size() && c < cells.size(); ++c) {
        out[set.columns[c].name] = cell_to_json(cells[c]);
    }
    return out;
}

rows_json many_to_json(const tds_pool::query_result& result, std::size_t max_rows) {
    rows_json out;
    if (result.sets.empty()) return out;
    const auto& set = result.sets.front();
    const std::size_t count = std::min(set.rows.size(), max_rows);
    out.rows.reserve(count);
    for (std::size_t r = 0; r < count; ++r) out.rows.push_back(row_to_json(set, r));
    out.truncated = set.rows.size() > max_rows;
    return out;
}

std::optional<boost::json::object> one_to_json(const tds_pool::query_result& result) {
    if (result.sets.empty() || result.sets.front().rows.empty()) return std::nullopt;
    return row_to_json(result.sets.front(), 0);
}

boost::json::object exec_to_json(const tds_pool::query_result& result) {
    const std::int64_t total =
        std::accumulate(result.rows_affected.begin(), result.rows_affected.end(), std::int64_t{0});
    return boost::json::object{{"rowsAffected", total}};
}

}  // namespace gateway
