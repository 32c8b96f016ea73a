// router::decide: route and tenant combined, and which error wins.
#include <catch2/catch.hpp>

#include "router/dispatch.hpp"

namespace {

conf::route_config route(std::string path, bool tenant_required,
                         std::vector<std::string> methods = {"GET"}) {
    conf::route_config r;
    r.path = std::move(path);
    r.tenant_required = tenant_required;
    r.methods = std::move(methods);
    return r;
}

struct fixture {
    router::route_table routes{{route("/api/customers/{id}", true), route("/health", false),
                                route("/api/login", true, {"POST"})}};
    router::tenant_resolver resolver{[] {
        conf::tenant_resolution_config config;
        config.base_domains = {"yourapp.com"};
        return config;
    }()};

    router::decision decide(std::string_view method, std::string_view target,
                            std::string_view host = "localhost",
                            std::vector<std::string_view> headers = {}) {
        auto parsed = router::parse_target(target);
        REQUIRE(std::holds_alternative<router::parsed_target>(parsed));
        target_ = std::get<router::parsed_target>(std::move(parsed));
        const router::request_facts facts{&target_, host, std::move(headers), std::nullopt};
        return router::decide(routes, resolver, method, facts);
    }

private:
    router::parsed_target target_;
};

std::string error_code(const router::decision& d) {
    return d.error ? d.error->code : "";
}

}  // namespace

TEST_CASE("a matched route with a tenant is a decision without error", "[router][dispatch]") {
    fixture f;
    const auto d = f.decide("GET", "/api/customers/42?company=acme");
    CHECK_FALSE(d.error.has_value());
    REQUIRE(d.match.route != nullptr);
    CHECK(d.match.route->path == "/api/customers/{id}");
    CHECK(d.match.path_params == std::vector<std::pair<std::string, std::string>>{{"id", "42"}});
    CHECK(d.tenant.code == "ACME");
    CHECK(d.tenant.source == conf::tenant_source::query);

    const auto sub = f.decide("GET", "/api/customers/1", "acme.yourapp.com:443");
    CHECK_FALSE(sub.error.has_value());
    CHECK(sub.tenant.code == "ACME");
    CHECK(sub.tenant.source == conf::tenant_source::subdomain);
}

TEST_CASE("a route that needs no tenant works without one", "[router][dispatch]") {
    fixture f;
    const auto d = f.decide("GET", "/health");
    CHECK_FALSE(d.error.has_value());
    CHECK_FALSE(d.tenant.code.has_value());
}

TEST_CASE("a route that needs a tenant and gets none is 400 tenant_required",
          "[router][dispatch]") {
    fixture f;
    const auto d = f.decide("GET", "/api/customers/1", "yourapp.com");
    REQUIRE(d.error.has_value());
    CHECK(d.error->status == 400);
    CHECK(d.error->code == "tenant_required");
    CHECK(d.match.route != nullptr);
    CHECK(error_code(f.decide("GET", "/api/customers/1", "www.yourapp.com")) == "tenant_required");
}

TEST_CASE("route errors come before tenant errors", "[router][dispatch]") {
    fixture f;
    CHECK(error_code(f.decide("GET", "/nope?company=a&company=b")) == "route_not_found");
    CHECK(error_code(f.decide("GET", "/nope?company=")) == "route_not_found");
    const auto d = f.decide("GET", "/api/login?company=bad!");
    CHECK(error_code(d) == "method_not_allowed");
    REQUIRE(d.error.has_value());
    CHECK(d.error->status == 405);
    CHECK(d.error->allow == std::vector<std::string>{"POST"});
    CHECK(error_code(f.decide("DELETE", "/health")) == "method_not_allowed");
}

TEST_CASE("tenant errors come before tenant_required, even on open routes",
          "[router][dispatch]") {
    fixture f;
    CHECK(error_code(f.decide("GET", "/api/customers/1?company=a&company=b")) ==
          "tenant_conflict");
    CHECK(error_code(f.decide("GET", "/api/customers/1?company=")) == "invalid_company_code");
    CHECK(error_code(f.decide("GET", "/health", "a.b.yourapp.com")) == "invalid_company_code");
    CHECK(error_code(f.decide("POST", "/api/login?company=acme", "localhost", {"BETA"})) ==
          "tenant_conflict");
}

TEST_CASE("the tenant is resolved even when the route is missing", "[router][dispatch]") {
    fixture f;
    const auto d = f.decide("GET", "/nope?company=acme");
    CHECK(error_code(d) == "route_not_found");
    CHECK(d.tenant.code == "ACME");
}

TEST_CASE("no target is a bad request", "[router][dispatch]") {
    fixture f;
    const router::request_facts facts{nullptr, "acme.yourapp.com", {}, std::nullopt};
    const auto d = router::decide(f.routes, f.resolver, "GET", facts);
    CHECK(error_code(d) == "bad_request");
}
