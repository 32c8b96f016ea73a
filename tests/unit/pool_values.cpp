// Pure tests of the value model and the sp_executesql declaration builder.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "tds_pool/connection_target.hpp"
#include "tds_pool/freetds/row_reader.hpp"
#include "tds_pool/freetds/rpc_binding.hpp"

using tds_pool::param_type;
using tds_pool::sql_param;

TEST_CASE("the declaration lists every parameter with its T-SQL type", "[values]") {
    std::vector<sql_param> params = {
        {"id", param_type::int32, std::int64_t{7}},
        {"big", param_type::int64, std::int64_t{1} << 40},
        {"ratio", param_type::float64, 0.5},
        {"on", param_type::boolean, true},
        {"name", param_type::string, std::string("Zoë")},
        {"blob", param_type::binary, std::vector<std::uint8_t>{1, 2}},
        {"at", param_type::datetime, tds_pool::sql_datetime{2024, 2, 29, 12, 0, 1, 0}},
        {"nothing", param_type::null, std::monostate{}},
        {"typed_null", param_type::int32, std::monostate{}},
    };
    auto decl = tds_pool::parameter_declaration(params);
    REQUIRE(decl);
    CHECK(decl.value() ==
          "@id int, @big bigint, @ratio float, @on bit, @name nvarchar(max), "
          "@blob varbinary(max), @at datetime2, @nothing nvarchar(max), @typed_null int");
}

TEST_CASE("invalid names and values that do not fit are refused", "[values]") {
    auto bad_name = tds_pool::parameter_declaration({{"x int; drop table t --", param_type::int32,
                                                      std::int64_t{1}}});
    REQUIRE_FALSE(bad_name);
    CHECK(bad_name.error().code == tds_pool::errc::sql_error);
    auto too_big = tds_pool::parameter_declaration(
        {{"n", param_type::int32, std::int64_t{1} << 33}});
    CHECK_FALSE(too_big);
    auto wrong = tds_pool::parameter_declaration({{"n", param_type::boolean, std::string("x")}});
    CHECK_FALSE(wrong);
    CHECK_FALSE(tds_pool::valid_param_name("1abc"));
    CHECK(tds_pool::valid_param_name("_abc1"));
}

TEST_CASE("dates are rebuilt from days since 1900 and 100 ns ticks", "[values]") {
    const auto dt = tds_pool::detail::datetime_from_parts(45350, (13ULL * 3600 + 5 * 60 + 9) *
                                                                     10'000'000ULL + 1234567);
    CHECK(dt == tds_pool::sql_datetime{2024, 3, 1, 13, 5, 9, 123456700});
    CHECK(dt.to_iso8601() == "2024-03-01T13:05:09.1234567");
    const auto before = tds_pool::detail::datetime_from_parts(-1, 0);
    CHECK(before.to_iso8601() == "1899-12-31T00:00:00");
}

TEST_CASE("ISO 8601 text pads like fmt's zero-padded fields, signs and wide years too", "[values]") {
    const tds_pool::sql_datetime samples[] = {
        {1, 1, 1, 0, 0, 0, 0},         {9999, 12, 31, 23, 59, 59, 999'999'900},
        {2024, 3, 1, 1, 2, 3, 100},    {12345, 10, 10, 10, 10, 10, 50},
        {-5, 1, 2, 3, 4, 5, 0},        {-12345, 1, 1, 0, 0, 0, -700},
        {0, 0, 0, 0, 0, 0, 999'999'999},
    };
    for (const auto& dt : samples) {
        std::string expected = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", dt.year, dt.month,
                                           dt.day, dt.hour, dt.minute, dt.second);
        if (dt.nanosecond != 0) expected += fmt::format(".{:07}", dt.nanosecond / 100);
        CHECK(dt.to_iso8601() == expected);
    }
}

TEST_CASE("the pool key changes with the secret but never shows it", "[values]") {
    tds_pool::connection_target a{"db.example", 1433, "FieldServiceDB", "api", "s3cret", std::nullopt, {}};
    auto b = a;
    b.password = "rotated";
    CHECK(a.key() != b.key());
    CHECK(a.key().find("s3cret") == std::string::npos);
    CHECK(a.address() == "db.example:1433");
    CHECK(a.key() == tds_pool::connection_target{a}.key());
}
