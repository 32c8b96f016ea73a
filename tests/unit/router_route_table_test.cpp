// router::route_table: pattern syntax, captures, prefixes, specificity, 404 and 405.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "router/route_table.hpp"

namespace {

conf::route_config route(std::string path, std::vector<std::string> methods = {"GET"}) {
    conf::route_config r;
    r.path = std::move(path);
    r.methods = std::move(methods);
    return r;
}

using params = std::vector<std::pair<std::string, std::string>>;

/// The configured path of the route chosen for method + path, or the error code.
std::string chosen(const router::route_table& table, std::string_view method,
                   std::string_view path) {
    const auto m = table.match(method, path);
    if (m.error) {
        return m.error->code;
    }
    REQUIRE(m.route != nullptr);
    return m.route->path;
}

}  // namespace

TEST_CASE("literal paths match exactly, case-sensitively", "[router][routes]") {
    const router::route_table table({route("/"), route("/api/customers"), route("/health")});
    CHECK(chosen(table, "GET", "/") == "/");
    CHECK(chosen(table, "GET", "/api/customers") == "/api/customers");
    CHECK(chosen(table, "GET", "/health") == "/health");
    for (const char* miss : {"/api", "/api/customers/1", "/API/customers", "/healthz",
                             "/api//customers", "//"}) {
        INFO("path: " << miss);
        CHECK(chosen(table, "GET", miss) == "route_not_found");
    }
}

TEST_CASE("a trailing slash is a different path", "[router][routes]") {
    const router::route_table table({route("/api/customers"), route("/api/sites/")});
    CHECK(chosen(table, "GET", "/api/customers/") == "route_not_found");
    CHECK(chosen(table, "GET", "/api/sites") == "route_not_found");
    CHECK(chosen(table, "GET", "/api/sites/") == "/api/sites/");
}

TEST_CASE("captures take exactly one non-empty segment", "[router][routes]") {
    const router::route_table table({route("/api/customers/{id}"),
                                     route("/api/customers/{customer_id}/sites/{site}")});
    const auto one = table.match("GET", "/api/customers/42");
    REQUIRE(one.route != nullptr);
    CHECK(one.index == 0);
    CHECK(one.path_params == params{{"id", "42"}});
    CHECK(one.rest.empty());

    const auto two = table.match("GET", "/api/customers/7/sites/a b");
    REQUIRE(two.route != nullptr);
    CHECK(two.index == 1);
    CHECK(two.path_params == params{{"customer_id", "7"}, {"site", "a b"}});

    for (const char* miss : {"/api/customers/", "/api/customers", "/api/customers/1/2",
                             "/api/customers//sites/x", "/api/customers/1/sites/"}) {
        INFO("path: " << miss);
        CHECK(chosen(table, "GET", miss) == "route_not_found");
    }
}

TEST_CASE("a prefix matches itself and everything below", "[router][routes]") {
    const router::route_table table({route("/app/*")});
    const std::pair<const char*, const char*> cases[] = {
        {"/app", ""}, {"/app/", "/"}, {"/app/x", "/x"}, {"/app/x/y/", "/x/y/"},
        {"/app//z", "//z"},
    };
    for (const auto& [path, rest] : cases) {
        INFO("path: " << path);
        const auto m = table.match("GET", path);
        REQUIRE(m.route != nullptr);
        CHECK(m.rest == rest);
        CHECK(m.path_params.empty());
    }
    CHECK(chosen(table, "GET", "/application") == "route_not_found");
    CHECK(chosen(table, "GET", "/") == "route_not_found");
}

TEST_CASE("a root prefix matches every path", "[router][routes]") {
    const router::route_table table({route("/*")});
    for (const char* path : {"/", "/x", "/a/b/c", "/a/"}) {
        INFO("path: " << path);
        CHECK(chosen(table, "GET", path) == "/*");
    }
    CHECK(table.match("GET", "/a/b").rest == "/a/b");
}

TEST_CASE("captures before a prefix are bound", "[router][routes]") {
    const router::route_table table({route("/t/{tenant}/files/*")});
    const auto m = table.match("GET", "/t/acme/files/x/y.txt");
    REQUIRE(m.route != nullptr);
    CHECK(m.path_params == params{{"tenant", "acme"}});
    CHECK(m.rest == "/x/y.txt");
}

TEST_CASE("the most specific pattern wins regardless of declaration order",
          "[router][routes]") {
    // Declared least specific first so that declaration order cannot be what decides.
    const std::vector<conf::route_config> routes = {
        route("/*"),
        route("/api/*"),
        route("/api/{a}/{b}"),
        route("/api/customers/*"),
        route("/api/customers/{id}"),
        route("/api/customers/special"),
        route("/api/customers"),
        route("/{x}/sites"),
        route("/api/{y}"),
    };
    const router::route_table table(routes);
    const std::pair<const char*, const char*> cases[] = {
        // more literals beat fewer
        {"/api/customers/special", "/api/customers/special"},
        {"/api/customers/5", "/api/customers/{id}"},
        // a longer prefix (more literals) beats a shorter one and a capture pattern
        {"/api/customers/5/x", "/api/customers/*"},
        {"/api/other/5/x", "/api/*"},
        // more captures beat a prefix with the same literals
        {"/api/other/5", "/api/{a}/{b}"},
        // exact beats prefix when counts are equal
        {"/api/customers", "/api/customers"},
        {"/api/customers/", "/api/customers/*"},
        // leftmost literal decides between equal counts
        {"/api/sites", "/api/{y}"},
        {"/zzz/sites", "/{x}/sites"},
        {"/", "/*"},
        {"/other", "/*"},
    };
    for (const auto& [path, expected] : cases) {
        INFO("path: " << path);
        CHECK(chosen(table, "GET", path) == expected);
    }

    std::vector<conf::route_config> reversed(routes.rbegin(), routes.rend());
    const router::route_table table_reversed(reversed);
    for (const auto& [path, expected] : cases) {
        INFO("reversed, path: " << path);
        CHECK(chosen(table_reversed, "GET", path) == expected);
    }
}

TEST_CASE("equally specific patterns keep declaration order", "[router][routes]") {
    const router::route_table table({route("/a/{x}"), route("/a/{y}")});
    const auto m = table.match("GET", "/a/1");
    CHECK(m.index == 0);
    CHECK(m.path_params == params{{"x", "1"}});
}

TEST_CASE("index points at the configured position", "[router][routes]") {
    const router::route_table table({route("/*"), route("/b"), route("/a")});
    CHECK(table.match("GET", "/a").index == 2);
    CHECK(table.match("GET", "/b").index == 1);
    CHECK(table.match("GET", "/c").index == 0);
    CHECK(&table.routes()[2] == table.match("GET", "/a").route);
}

TEST_CASE("methods: exact, HEAD via GET, '*' for any", "[router][routes]") {
    const router::route_table table({route("/r", {"GET"}), route("/w", {"POST", "PUT"}),
                                     route("/any", {"*"})});
    CHECK(chosen(table, "GET", "/r") == "/r");
    CHECK(chosen(table, "HEAD", "/r") == "/r");
    CHECK(chosen(table, "get", "/r") == "method_not_allowed");
    CHECK(chosen(table, "POST", "/w") == "/w");
    CHECK(chosen(table, "PUT", "/w") == "/w");
    CHECK(chosen(table, "HEAD", "/w") == "method_not_allowed");
    for (const char* method : {"GET", "DELETE", "PATCH", "OPTIONS", "HEAD"}) {
        CHECK(chosen(table, method, "/any") == "/any");
    }
}

TEST_CASE("the method filters before specificity", "[router][routes]") {
    const router::route_table table({route("/api/customers/{id}", {"GET"}),
                                     route("/api/*", {"POST"})});
    CHECK(chosen(table, "GET", "/api/customers/1") == "/api/customers/{id}");
    CHECK(chosen(table, "POST", "/api/customers/1") == "/api/*");
}

TEST_CASE("405 lists the methods of every pattern matching the path", "[router][routes]") {
    const router::route_table table({route("/api/customers/{id}", {"GET", "DELETE"}),
                                     route("/api/customers/{x}", {"PUT"}),
                                     route("/api/*", {"PATCH"}),
                                     route("/api/customers/{id}/notes", {"POST"}),
                                     route("/other", {"OPTIONS"})});
    const auto m = table.match("POST", "/api/customers/1");
    REQUIRE(m.error.has_value());
    CHECK(m.route == nullptr);
    CHECK(m.error->status == 405);
    CHECK(m.error->code == "method_not_allowed");
    CHECK(m.error->allow == std::vector<std::string>{"DELETE", "GET", "HEAD", "PATCH", "PUT"});
    CHECK_THAT(m.error->message, Catch::Contains("POST"));

    const auto only_post = table.match("GET", "/api/customers/1/notes");
    REQUIRE(only_post.error.has_value());
    CHECK(only_post.error->allow == std::vector<std::string>{"PATCH", "POST"});
}

TEST_CASE("HEAD appears once even when also configured", "[router][routes]") {
    const router::route_table table({route("/x", {"GET", "HEAD"}), route("/x", {"GET"})});
    const auto m = table.match("POST", "/x");
    REQUIRE(m.error.has_value());
    CHECK(m.error->allow == std::vector<std::string>{"GET", "HEAD"});
}

TEST_CASE("404 when nothing matches the path", "[router][routes]") {
    const router::route_table table({route("/a", {"POST"})});
    const auto m = table.match("GET", "/b");
    REQUIRE(m.error.has_value());
    CHECK(m.route == nullptr);
    CHECK(m.error->status == 404);
    CHECK(m.error->code == "route_not_found");
    CHECK(m.error->allow.empty());
    const router::route_table empty(std::vector<conf::route_config>{});
    CHECK(chosen(empty, "GET", "/") == "route_not_found");
}

TEST_CASE("malformed patterns are refused at construction", "[router][routes]") {
    for (const char* bad : {"", "api", "/a/*/b", "/a*", "/*x", "/{", "/{}", "/{a", "/a}",
                            "/{a-b}", "/{id}/{id}", "/x{id}", "/a//b", "/**"}) {
        INFO("pattern: '" << bad << "'");
        CHECK_THROWS_AS(router::route_table({route(bad)}), std::invalid_argument);
    }
    CHECK_NOTHROW(router::route_table({route("/"), route("/*"), route("/a/"), route("/{A_1}")}));
}

TEST_CASE("a copied table answers with its own routes", "[router][routes]") {
    std::optional<router::route_table> original(router::route_table({route("/a/{id}")}));
    const router::route_table copy = *original;
    original.reset();
    const auto m = copy.match("GET", "/a/9");
    REQUIRE(m.route != nullptr);
    CHECK(m.route == &copy.routes()[0]);
    CHECK(m.path_params == params{{"id", "9"}});
}
