// The access-log line and the JSON error body.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <regex>
#include <string>
#include <cstdio>

#include <boost/json/parse.hpp>

#include "gateway/telemetry/access_log.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/telemetry/log.hpp"

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
    CHECK(json["level"] == "info");
    CHECK(json["msg"] == "access");
}

TEST_CASE("access-line fields from the client are escaped", "[gateway][access_log]") {
    gateway::access_entry entry;
    entry.request_id = "quote\"back\\slash";
    entry.route = "/api/*";
    entry.method = "GE\tT";
    entry.path = std::string("/a\nb\x01\"c", 8) + "?q=1";
    entry.status = 404;
    entry.started = std::chrono::steady_clock::now();
    const std::string line = gateway::format_access(entry);
    CHECK(line.find('\n') == std::string::npos);  // one line, whatever the client sent
    auto json = boost::json::parse(line).as_object();
    CHECK(json["request_id"] == "quote\"back\\slash");
    CHECK(json["route"] == "/api/*");
    CHECK(json["tenant"].is_null());
    CHECK(json["method"] == "GE\tT");
    CHECK(std::string_view(json["path"].as_string()) == std::string_view("/a\nb\x01\"c", 8));
    CHECK(json["status"] == 404);
}

TEST_CASE("access lines stay valid UTF-8 whatever bytes the target held", "[gateway][access_log]") {
    gateway::access_entry entry;
    entry.request_id = "r1";
    entry.method = "GET";
    entry.path = "/a/\xff\xc3/\xc3\xbc?q=\xfe";
    entry.status = 404;
    entry.started = std::chrono::steady_clock::now();
    const std::string line = gateway::format_access(entry);
    // Boost.JSON's parser refuses ill-formed UTF-8, so parsing proves the line valid
    boost::system::error_code ec;
    auto json = boost::json::parse(line, ec);
    REQUIRE_FALSE(ec);
    CHECK(json.as_object()["path"] == "/a/\xef\xbf\xbd\xef\xbf\xbd/\xc3\xbc");
}

TEST_CASE("errors have exactly the documented shape", "[gateway][json]") {
    auto res = gateway::error_response(413, "body_too_large", "too \"big\"", "id-9");
    CHECK(res.result_int() == 413);
    CHECK(res.body() == R"({"error":{"code":"body_too_large","message":"too \"big\"","requestId":"id-9"}})");
    CHECK(res[gateway::http::field::content_type] == "application/json");
    CHECK(res[gateway::http::field::content_length] == std::to_string(res.body().size()));
}

TEST_CASE("log times are ISO 8601 UTC with milliseconds, right across seconds",
          "[gateway][log]") {
    using namespace std::chrono;
    // Times stepped by hand across second, day and year boundaries (the calendar part is
    // cached per second), then back again: no sleeping.
    const auto start = system_clock::time_point(seconds(1704067199)) - milliseconds(50);
    for (int step = 0; step < 400; ++step) {
        const auto t = start + milliseconds(7 * step);
        const std::time_t secs = system_clock::to_time_t(t);
        std::tm utc{};
        gmtime_r(&secs, &utc);
        char calendar[20];
        std::strftime(calendar, sizeof calendar, "%Y-%m-%dT%H:%M:%S", &utc);
        const auto millis = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
        char expected[32];
        std::snprintf(expected, sizeof expected, "%s.%03dZ", calendar, static_cast<int>(millis));
        REQUIRE(gateway::iso_time(t) == expected);
    }
    CHECK(gateway::iso_time(system_clock::time_point(seconds(1704067199)) + milliseconds(999)) ==
          "2023-12-31T23:59:59.999Z");
    CHECK(gateway::iso_time(system_clock::time_point(seconds(1704067200))) == "2024-01-01T00:00:00.000Z");
    CHECK(gateway::iso_time(system_clock::time_point(seconds(1704067199))) == "2023-12-31T23:59:59.000Z");

    const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    CHECK(std::regex_match(gateway::iso_time_now(), shape));
}
