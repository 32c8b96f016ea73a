// The access-log line and the JSON error body.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "gateway/access_log.hpp"
#include "gateway/json_response.hpp"

TEST_CASE("the logged path never carries the query string", "[gateway][access_log]") {
    CHECK(gateway::path_without_query("/a/b?token=secret") == "/a/b");
    CHECK(gateway::path_without_query("/a#frag") == "/a");
    CHECK(gateway::path_without_query("/plain") == "/plain");
}

TEST_CASE("an access line has every field, as JSON", "[gateway][access_log]") {
    gateway::access_entry entry;
    entry.request_id = "r1";
    entry.tenant = "ACME";
    entry.method = "GET";
    entry.path = "/api/x?password=hunter2";
    entry.status = 200;
    entry.bytes = 12;
    entry.started = std::chrono::steady_clock::now();
    const std::string line = gateway::format_access(entry);
    CHECK(line.find("hunter2") == std::string::npos);
    auto json = boost::json::parse(line).as_object();
    CHECK(json["request_id"] == "r1");
    CHECK(json["tenant"] == "ACME");
    CHECK(json["route"].is_null());
    CHECK(json["path"] == "/api/x");
    CHECK(json["status"] == 200);
    CHECK(json["bytes"] == 12);
    CHECK(json["duration_ms"].is_double());
    CHECK(json["time"].as_string().ends_with("Z"));
}

TEST_CASE("errors have exactly the documented shape", "[gateway][json]") {
    auto res = gateway::error_response(413, "body_too_large", "too \"big\"", "id-9");
    CHECK(res.result_int() == 413);
    CHECK(res.body() == R"({"error":{"code":"body_too_large","message":"too \"big\"","requestId":"id-9"}})");
    CHECK(res[gateway::http::field::content_type] == "application/json");
    CHECK(res[gateway::http::field::content_length] == std::to_string(res.body().size()));
}
