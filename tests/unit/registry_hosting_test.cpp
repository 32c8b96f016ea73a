// Hosting labels from server names, as in the seed's registry table.
#include <catch2/catch.hpp>

#include "tds_pool/registry/hosting.hpp"

TEST_CASE("glob patterns match case-insensitively with * wildcards", "[hosting]") {
    using tds_pool::glob_match;
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*.database.windows.net", "acme-sql.database.windows.net"));
    CHECK(glob_match("*.DATABASE.windows.net", "Acme-Sql.Database.Windows.Net"));
    CHECK_FALSE(glob_match("*.database.windows.net", "database.windows.net.evil.com"));
    CHECK(glob_match("*customer-portal*", "customer-portal-sql-server.database.windows.net"));
    CHECK(glob_match("a*b*c", "aXXbYYc"));
    CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
    CHECK(glob_match("exact", "exact"));
    CHECK_FALSE(glob_match("exact", "exactly"));
    CHECK(glob_match("**x", "x"));
}

TEST_CASE("hosting labels follow the seed's table", "[hosting]") {
    const conf::hosting_config config;  // defaults
    using tds_pool::hosting_label;
    CHECK(hosting_label("customer-portal-sql-server.database.windows.net", config) == "Your Server");
    CHECK(hosting_label("acme-sql.database.windows.net", config) == "Customer Hosted (Azure)");
    CHECK(hosting_label("globalsec-db.aws.rds.amazonaws.com", config) == "Customer Hosted (AWS)");
    CHECK(hosting_label("sql.techstart.com", config) == "Customer Hosted (On-Prem)");

    conf::hosting_config local;
    local.own_server_patterns = {"127.0.0.1", "localhost"};
    local.azure_patterns = {};
    CHECK(hosting_label("127.0.0.1", local) == "Your Server");
    CHECK(hosting_label("acme-sql.database.windows.net", local) == "Customer Hosted (On-Prem)");
}
