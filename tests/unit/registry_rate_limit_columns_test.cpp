// registry_row: the optional RateLimitPerSecond and MaxConcurrentRequests columns.
#include <catch2/catch.hpp>

#include "tds_pool/registry/registry_row.hpp"

namespace {

using tds_pool::sql_value;

/// A Tenants row with the columns a table without the limit columns has, plus `extra`.
tds_pool::tenant_record row_with(std::vector<std::pair<std::string, sql_value>> extra) {
    tds_pool::row_set set;
    std::vector<sql_value> values;
    const std::vector<std::pair<std::string, sql_value>> base = {
        {"CompanyCode", std::string("acme")}, {"DatabaseServer", std::string("sql.acme.com")},
        {"DatabaseName", std::string("FieldServiceDB")}};
    for (const auto& columns : {base, extra}) {
        for (const auto& [name, value] : columns) {
            set.columns.push_back({name, tds_pool::column_type::text, 0});
            values.push_back(value);
        }
    }
    set.rows.push_back(std::move(values));
    return tds_pool::record_from_row(tds_pool::registry_columns(set), set.rows.front());
}

}  // namespace

TEST_CASE("registry limit columns: absent or NULL are the defaults", "[registry][row][rate_limits]") {
    const auto absent = row_with({});
    CHECK(absent.problem.empty());
    CHECK_FALSE(absent.rate_limit_per_second);
    CHECK_FALSE(absent.max_concurrent_requests);
    const auto null = row_with({{"RateLimitPerSecond", std::monostate{}}, {"MaxConcurrentRequests", std::monostate{}}});
    CHECK(null.problem.empty());
    CHECK_FALSE(null.rate_limit_per_second);
    CHECK_FALSE(null.max_concurrent_requests);
}

TEST_CASE("registry limit columns: values are read, bad ones make the row a problem", "[registry][row][rate_limits]") {
    const auto set = row_with({{"RateLimitPerSecond", std::int64_t{25}}, {"MaxConcurrentRequests", std::int64_t{3}}});
    CHECK(set.problem.empty());
    CHECK(set.rate_limit_per_second == std::optional<std::uint32_t>(25));
    CHECK(set.max_concurrent_requests == std::optional<std::uint32_t>(3));
    CHECK(row_with({{"RateLimitPerSecond", std::int64_t{-1}}}).problem ==
          "RateLimitPerSecond -1 is outside 0..1000000");
    CHECK(row_with({{"MaxConcurrentRequests", std::string("many")}}).problem ==
          "MaxConcurrentRequests is not a whole number");
}
