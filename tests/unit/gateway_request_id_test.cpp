// X-Request-Id acceptance and generation.
#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>
#include <string>

#include "gateway/http/request_id.hpp"

TEST_CASE("client request ids are reused only when safe", "[gateway][request_id]") {
    CHECK(gateway::is_acceptable_request_id("abc-123_XYZ.:/"));
    CHECK(gateway::is_acceptable_request_id(std::string(128, 'a')));
    CHECK_FALSE(gateway::is_acceptable_request_id(""));
    CHECK_FALSE(gateway::is_acceptable_request_id(std::string(129, 'a')));
    CHECK_FALSE(gateway::is_acceptable_request_id("has space"));
    CHECK_FALSE(gateway::is_acceptable_request_id("tab\there"));
    CHECK_FALSE(gateway::is_acceptable_request_id("new\nline"));
    CHECK_FALSE(gateway::is_acceptable_request_id("caf\xc3\xa9"));
    CHECK(gateway::choose_request_id("keep-me") == "keep-me");
    CHECK(gateway::choose_request_id("not ok").size() == 32);
}

TEST_CASE("generated request ids are 32 hex digits and differ", "[gateway][request_id]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto id = gateway::generate_request_id();
        REQUIRE(id.size() == 32);
        REQUIRE(id.find_first_not_of("0123456789abcdef") == std::string::npos);
        seen.insert(id);
    }
    CHECK(seen.size() == 1000);
}

TEST_CASE("request ids generated on different threads differ", "[gateway][request_id]") {
    // Each thread seeds its own generator: two threads must not draw the same ids.
    std::vector<std::string> first;
    std::vector<std::string> second;
    std::thread a([&first] { for (int i = 0; i < 200; ++i) first.push_back(gateway::generate_request_id()); });
    std::thread b([&second] { for (int i = 0; i < 200; ++i) second.push_back(gateway::generate_request_id()); });
    a.join();
    b.join();
    std::set<std::string> seen(first.begin(), first.end());
    seen.insert(second.begin(), second.end());
    CHECK(seen.size() == 400);
}
