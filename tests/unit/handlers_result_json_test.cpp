// Column values to JSON and the three result modes.
#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include "gateway/sql/result_json.hpp"
#include "router/param_binding.hpp"

using tds_pool::column_type;
using tds_pool::sql_value;

namespace {

tds_pool::query_result sample(std::size_t rows) {
    tds_pool::row_set set;
    set.columns = {{"Id", column_type::integer, 0}, {"Name", column_type::text, 0}};
    for (std::size_t i = 0; i < rows; ++i) {
        set.rows.push_back({sql_value(std::int64_t(i + 1)), sql_value(std::string("row") + std::to_string(i))});
    }
    tds_pool::query_result result;
    result.sets.push_back(std::move(set));
    return result;
}

}  // namespace

TEST_CASE("each column type has its JSON form", "[result_json]") {
    using gateway::cell_to_json;
    CHECK(cell_to_json(sql_value{}).is_null());
    CHECK(cell_to_json(sql_value(std::int64_t{42})).as_int64() == 42);
    CHECK(cell_to_json(sql_value(gateway::max_exact_json_integer)).is_int64());
    CHECK(cell_to_json(sql_value(gateway::max_exact_json_integer + 1)).as_int64() == 9007199254740992);
    // bigint_as: string quotes only what a double cannot hold.
    const gateway::number_forms quoted{false, true};
    CHECK(cell_to_json(sql_value(gateway::max_exact_json_integer), quoted).is_int64());
    CHECK(cell_to_json(sql_value(gateway::max_exact_json_integer + 1), quoted).as_string() == "9007199254740992");
    CHECK(cell_to_json(sql_value(-gateway::max_exact_json_integer - 1), quoted).as_string() == "-9007199254740992");
    CHECK(cell_to_json(sql_value(tds_pool::sql_decimal{"-12.50"})).as_string() == "-12.50");
    CHECK(cell_to_json(sql_value(0.25)).as_double() == 0.25);
    CHECK(cell_to_json(sql_value(std::numeric_limits<double>::infinity())).is_null());
    CHECK(cell_to_json(sql_value(true)).as_bool());
    CHECK(cell_to_json(sql_value(std::string("\"quoted\""))).as_string() == "\"quoted\"");
    CHECK(cell_to_json(sql_value(std::vector<std::uint8_t>{0, 1, 2, 255})).as_string() == "AAEC/w==");
    CHECK(cell_to_json(sql_value(tds_pool::sql_datetime{2024, 3, 1, 12, 30, 0, 0})).as_string() ==
          "2024-03-01T12:30:00");
}

TEST_CASE("base64 encodes every tail length", "[result_json]") {
    CHECK(gateway::encode_base64({}).empty());
    CHECK(gateway::encode_base64({'h'}) == "aA==");
    CHECK(gateway::encode_base64({'h', 'e'}) == "aGU=");
    CHECK(gateway::encode_base64({'h', 'e', 'l'}) == "aGVs");
    CHECK(gateway::encode_base64({'h', 'e', 'l', 'l', 'o'}) == "aGVsbG8=");
    CHECK(gateway::encode_base64({0xff, 0xef}) == "/+8=");
    std::string appended = "x";
    const std::uint8_t bytes[] = {'h', 'e'};
    gateway::append_base64(appended, bytes, 2);
    CHECK(appended == "xaGU=");
    // a value longer than one of OpenSSL's pieces encodes as one text
    std::vector<std::uint8_t> big(3 * 1024 * 1024 + 2, 0xfb);
    const std::string text = gateway::encode_base64(big);
    CHECK(text.size() == (big.size() + 2) / 3 * 4);
    CHECK(text.substr(0, 4) == "+/v7");
    CHECK(text.substr(text.size() - 4) == "+/s=");
    CHECK(router::decode_base64(text) == big);
}

TEST_CASE("many caps the rows and says so", "[result_json]") {
    const auto full = gateway::many_to_json(sample(3), 3);
    CHECK_FALSE(full.truncated);
    CHECK(boost::json::serialize(full.rows) ==
          R"([{"Id":1,"Name":"row0"},{"Id":2,"Name":"row1"},{"Id":3,"Name":"row2"}])");
    const auto capped = gateway::many_to_json(sample(3), 2);
    CHECK(capped.truncated);
    CHECK(capped.rows.size() == 2);
    CHECK(gateway::many_to_json(tds_pool::query_result{}, 10).rows.empty());
}

TEST_CASE("one answers the first row or nothing; exec sums the counts", "[result_json]") {
    const auto first = gateway::one_to_json(sample(2));
    REQUIRE(first);
    CHECK(boost::json::serialize(*first) == R"({"Id":1,"Name":"row0"})");
    CHECK_FALSE(gateway::one_to_json(sample(0)));
    tds_pool::query_result exec;
    exec.rows_affected = {2, 3};
    CHECK(boost::json::serialize(gateway::exec_to_json(exec)) == R"({"rowsAffected":5})");
}
