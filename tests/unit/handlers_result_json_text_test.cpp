// The JSON text writer against the DOM it replaces: for every value type, escaping,
// duplicate and escaped column names, caps and short rows, the text must be exactly
// what serialising result_json.hpp's values gives.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <boost/json/serialize.hpp>

#include "gateway/sql/result_json.hpp"
#include "gateway/sql/result_json_text.hpp"

using tds_pool::column_type;
using tds_pool::sql_datetime;
using tds_pool::sql_value;

namespace {

std::string written(const sql_value& value) {
    std::string out;
    gateway::append_cell_json(out, value);
    return out;
}

std::string serialized(const sql_value& value) { return boost::json::serialize(gateway::cell_to_json(value)); }

/// The DOM form of `many`, serialised: the reference the writer must match.
std::string many_reference(const tds_pool::query_result& result, std::size_t max_rows) {
    return boost::json::serialize(gateway::many_to_json(result, max_rows).rows);
}

/// `prefix` then `n` (g++ 12 at -O3 warns falsely about "literal" + std::string).
std::string numbered(std::string prefix, std::size_t n) {
    prefix += std::to_string(n);
    return prefix;
}

std::vector<sql_value> every_kind_of_value() {
    constexpr auto big = gateway::max_exact_json_integer;
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<sql_value> values = {
        sql_value{},
        std::int64_t{0}, std::int64_t{-1}, std::int64_t{42}, big, big + 1, -big, -big - 1,
        std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
        0.0, -0.0, 0.25, 0.1, 1.0, 100.0, -3.5, 1e300, 5e-324, 123456789.125, 1.0 / 3.0,
        std::numeric_limits<double>::quiet_NaN(), inf, -inf,
        true, false,
        std::string(), std::string("plain"), std::string("\"quoted\""), std::string("back\\slash"),
        std::string("Z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
        std::string("bad \xff\xfe utf-8 \xc3"), std::string("nul\0inside", 10), std::string("\x7f"),
        std::vector<std::uint8_t>{}, std::vector<std::uint8_t>{0}, std::vector<std::uint8_t>{0, 1},
        std::vector<std::uint8_t>{0, 1, 2}, std::vector<std::uint8_t>{0, 1, 2, 255},
        sql_datetime{2024, 3, 1, 12, 30, 0, 0}, sql_datetime{1, 1, 1, 0, 0, 0, 100},
        sql_datetime{9999, 12, 31, 23, 59, 59, 999'999'900},
    };
    for (int c = 0; c < 256; ++c) values.emplace_back(std::string{static_cast<char>(c), 'x'});
    std::vector<std::uint8_t> all_bytes;
    for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<std::uint8_t>(c));
    values.emplace_back(all_bytes);
    return values;
}

tds_pool::row_set one_column_per_value(const std::vector<sql_value>& values) {
    tds_pool::row_set set;
    for (std::size_t c = 0; c < values.size(); ++c) {
        set.columns.push_back({numbered("c", c), column_type::other, 0});
    }
    set.rows.push_back(values);
    return set;
}

}  // namespace

TEST_CASE("every value is written as the DOM serialises it", "[result_json_text]") {
    for (const auto& value : every_kind_of_value()) {
        INFO("value index " << value.index() << ", DOM text " << serialized(value));
        CHECK(written(value) == serialized(value));
    }
}

TEST_CASE("strings escape quotes, backslashes and control characters only", "[result_json_text]") {
    CHECK(written(std::string("a\"b\\c")) == R"("a\"b\\c")");
    CHECK(written(std::string("\b\t\n\f\r")) == R"("\b\t\n\f\r")");
    CHECK(written(std::string("\x01\x1f")) == R"("\u0001\u001f")");
    CHECK(written(std::string("\xff")) == "\"\xff\"");  // invalid UTF-8 passes through
    CHECK(written(std::int64_t{9007199254740992}) == "9007199254740992");
    CHECK(written(std::numeric_limits<double>::quiet_NaN()) == "null");
}

TEST_CASE("a row holds every kind of value", "[result_json_text]") {
    tds_pool::query_result result;
    result.sets.push_back(one_column_per_value(every_kind_of_value()));
    CHECK(gateway::many_to_json_text(result, 10).body == many_reference(result, 10));
    CHECK(*gateway::one_to_json_text(result) ==
          boost::json::serialize(*gateway::one_to_json(result)));
}

TEST_CASE("column names are escaped; a later duplicate name wins in place", "[result_json_text]") {
    tds_pool::row_set set;
    set.columns = {{"a", column_type::integer, 0}, {"na\"me\t", column_type::integer, 0},
                   {"a", column_type::integer, 0}, {"\xc3\xa9t\xc3\xa9", column_type::integer, 0},
                   {"na\"me\t", column_type::integer, 0}, {"", column_type::integer, 0}};
    set.rows.push_back({std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{4},
                        std::int64_t{5}, std::int64_t{6}});
    set.rows.push_back({std::int64_t{7}, std::int64_t{8}});  // short: only its own cells count
    set.rows.push_back({std::int64_t{9}, std::int64_t{10}, std::int64_t{11}});
    tds_pool::query_result result;
    result.sets.push_back(set);
    const auto text = gateway::many_to_json_text(result, 10).body;
    CHECK(text == many_reference(result, 10));
    CHECK(text == "[{\"a\":3,\"na\\\"me\\t\":5,\"\xc3\xa9t\xc3\xa9\":4,\"\":6},"
                  "{\"a\":7,\"na\\\"me\\t\":8},{\"a\":11,\"na\\\"me\\t\":10}]");
}

TEST_CASE("many caps the rows like the DOM form; one and empty results", "[result_json_text]") {
    tds_pool::row_set set;
    set.columns = {{"Id", column_type::integer, 0}, {"Name", column_type::text, 0}};
    for (std::int64_t i = 0; i < 5; ++i) set.rows.push_back({i, numbered("row", static_cast<std::size_t>(i))});
    tds_pool::query_result result;
    result.sets.push_back(set);
    result.sets.push_back(set);  // only the first set is answered
    for (std::size_t cap : {0, 1, 4, 5, 6}) {
        const auto text = gateway::many_to_json_text(result, cap);
        CHECK(text.body == many_reference(result, cap));
        CHECK(text.truncated == gateway::many_to_json(result, cap).truncated);
    }
    CHECK(gateway::many_to_json_text(tds_pool::query_result{}, 10).body == "[]");
    CHECK_FALSE(gateway::many_to_json_text(tds_pool::query_result{}, 10).truncated);
    CHECK_FALSE(gateway::one_to_json_text(tds_pool::query_result{}));
    tds_pool::query_result no_rows;
    no_rows.sets.push_back(tds_pool::row_set{set.columns, {}});
    CHECK(gateway::many_to_json_text(no_rows, 10).body == "[]");
    CHECK_FALSE(gateway::one_to_json_text(no_rows));
}

TEST_CASE("random rows match the DOM form", "[result_json_text]") {
    std::mt19937_64 random(20261127);
    const auto values = every_kind_of_value();
    std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
    std::uniform_int_distribution<std::uint64_t> bits;
    tds_pool::row_set set;
    for (int c = 0; c < 12; ++c) set.columns.push_back({numbered("col", static_cast<std::size_t>(c % 9)), column_type::other, 0});
    for (int r = 0; r < 200; ++r) {
        std::vector<sql_value> row;
        for (std::size_t c = 0; c < set.columns.size(); ++c) {
            if (c % 3 == 0) {
                row.emplace_back(std::bit_cast<double>(bits(random)));
            } else if (c % 3 == 1) {
                row.emplace_back(static_cast<std::int64_t>(bits(random)) >> (bits(random) % 64));
            } else {
                row.push_back(values[pick(random)]);
            }
        }
        set.rows.push_back(std::move(row));
    }
    tds_pool::query_result result;
    result.sets.push_back(std::move(set));
    CHECK(gateway::many_to_json_text(result, 500).body == many_reference(result, 500));
}
