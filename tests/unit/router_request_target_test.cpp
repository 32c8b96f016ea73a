// router::parse_target: decoding of path and query, and each kind of refused target.
#include <catch2/catch.hpp>

#include <string>

#include "router/request_target.hpp"

namespace {

router::parsed_target parsed(std::string_view target) {
    auto result = router::parse_target(target);
    INFO("target: " << target);
    REQUIRE(std::holds_alternative<router::parsed_target>(result));
    return std::get<router::parsed_target>(std::move(result));
}

using query_list = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("the path is percent-decoded and the query kept in order", "[router][target]") {
    const auto t = parsed("/api/customers/42?company=acme&page=2&company=ACME");
    CHECK(t.path == "/api/customers/42");
    CHECK(t.query == query_list{{"company", "acme"}, {"page", "2"}, {"company", "ACME"}});
}

TEST_CASE("percent-encoding and '+' decode", "[router][target]") {
    const auto t = parsed("/files/a%20b/%41?na%6De=j%C3%B6rg+x&q=1%2B1&path=%2Fetc");
    CHECK(t.path == "/files/a b/A");
    CHECK(t.query == query_list{{"name", "jörg x"}, {"q", "1+1"}, {"path", "/etc"}});
}

TEST_CASE("root, empty query, keys without values", "[router][target]") {
    CHECK(parsed("/").path == "/");
    CHECK(parsed("/").query.empty());
    CHECK(parsed("/x?").query.empty());
    CHECK(parsed("/x?&a=1&&b").query == query_list{{"a", "1"}, {"b", ""}});
    CHECK(parsed("/x?=v").query == query_list{{"", "v"}});
    CHECK(parsed("/x?flag&company=").query == query_list{{"flag", ""}, {"company", ""}});
    CHECK(parsed("/api/customers/").path == "/api/customers/");
}

TEST_CASE("targets that are not acceptable origin-form are 400 bad_request",
          "[router][target]") {
    for (const std::string target :
         {"", "*", "http://example.com/x", "example.com:443", "api/customers", "/a b",
          "/x#frag", "/bad%zz", "/bad%4", "/x?q=%", "/x?q=%G1", "/a/../b", "/a/./b", "/..",
          "/a/%2e%2e/b", "/a/%2E/b", "/a/.%2e", "/a%2fb", "/a%2Fb/c", "/a%00b",
          "/x?q=%00", "/x?%00=1"}) {
        INFO("target: '" << target << "'");
        const auto result = router::parse_target(target);
        REQUIRE(std::holds_alternative<router::http_error>(result));
        const auto& error = std::get<router::http_error>(result);
        CHECK(error.status == 400);
        CHECK(error.code == "bad_request");
        CHECK_FALSE(error.message.empty());
    }
    CHECK(std::holds_alternative<router::http_error>(
        router::parse_target(std::string_view("/a\0b", 4))));
}

TEST_CASE("dots inside a segment and encoded slashes in the query are fine",
          "[router][target]") {
    CHECK(parsed("/a/..b/c.d/.e").path == "/a/..b/c.d/.e");
    CHECK(parsed("/a?redirect=%2Fhome%2F..").query == query_list{{"redirect", "/home/.."}});
}
