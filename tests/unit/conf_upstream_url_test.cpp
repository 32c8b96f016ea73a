// conf::parse_upstream_url: the parts of an upstream server URL, as conf/ checks them at
// load and the gateway connects to them.
#include <catch2/catch.hpp>

#include "conf/upstream_url.hpp"

TEST_CASE("an upstream URL gives host, port, base path and authority", "[conf][upstream_url]") {
    const auto plain = conf::parse_upstream_url("http://127.0.0.1:5173");
    REQUIRE(plain);
    CHECK(plain->host == "127.0.0.1");
    CHECK(plain->port == 5173);
    CHECK(plain->base_path.empty());
    CHECK(plain->authority == "127.0.0.1:5173");
    CHECK(plain->url == "http://127.0.0.1:5173");

    const auto based = conf::parse_upstream_url("http://web-2.internal:8080/base");
    REQUIRE(based);
    CHECK(based->host == "web-2.internal");
    CHECK(based->port == 8080);
    CHECK(based->base_path == "/base");
    CHECK(based->authority == "web-2.internal:8080");

    // an IPv6 literal: bracketed in the Host, bare for the resolver
    const auto v6 = conf::parse_upstream_url("http://[::1]:8080/x");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->authority == "[::1]:8080");
    CHECK(v6->base_path == "/x");

    CHECK(conf::parse_upstream_url("http://h:1/")->base_path == "/");
    CHECK(conf::parse_upstream_url("http://h:0080")->port == 80);
}

TEST_CASE("anything but http://host:port[/path] is refused", "[conf][upstream_url]") {
    for (const char* url :
         {"", "https://h:443", "http://h", "http://:80", "http://h:0", "http://h:65536", "http://h:80x",
          "h:80", "http://h a:80", "ftp://h:21", "http://h:/x", "http://u:p@h:1", "http://h:1/b?q=1",
          "http://h:1#f", "http://h%41:1", "http://[v1.x]:1", "//h:1"}) {
        INFO("url: " << url);
        CHECK_FALSE(conf::parse_upstream_url(url));
    }
}
