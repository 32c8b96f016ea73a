// The SET TEXTSIZE of a configuration's queries: twice the largest cell cap plus 4.
#include <catch2/catch.hpp>

#include "gateway/sql/query_text_size.hpp"

TEST_CASE("the text size is twice the largest cell cap plus 4", "[handlers][text_size]") {
    CHECK(gateway::text_size_for(1024 * 1024) == 2 * 1024 * 1024 + 4);
    CHECK(gateway::text_size_for(1) == 6);
    CHECK(gateway::text_size_for(1'073'741'821) == 2'147'483'646);
    CHECK(gateway::text_size_for(1'073'741'822) == 2'147'483'647);  // SQL Server's largest
    CHECK(gateway::text_size_for(std::size_t{1} << 40) == 2'147'483'647);
}

TEST_CASE("the largest cell cap is the global one or a route's larger override", "[handlers][text_size]") {
    conf::config config;
    config.limits.max_cell_bytes = 1000;
    CHECK(gateway::largest_cell_cap(config) == 1000);
    conf::route_config small;
    small.max_cell_bytes = 10;
    config.routes.push_back(small);
    config.routes.push_back(conf::route_config{});
    CHECK(gateway::largest_cell_cap(config) == 1000);
    conf::route_config wide;
    wide.max_cell_bytes = 5000;
    config.routes.push_back(wide);
    CHECK(gateway::largest_cell_cap(config) == 5000);
    CHECK(gateway::query_text_size(config) == 10004);
}
