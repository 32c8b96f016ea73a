// router::find_subdomain: hosts, ports, case, nesting and ignored labels.
#include <catch2/catch.hpp>

#include "router/subdomain.hpp"

namespace {

using outcome = router::subdomain_lookup::outcome;

const std::vector<std::string> bases = {"yourapp.com", "eu.yourapp.com", "Other.Example."};
const std::vector<std::string> ignored = {"www", "API"};

}  // namespace

TEST_CASE("one label below a base domain is found, lower-cased", "[router][subdomain]") {
    const std::pair<const char*, const char*> cases[] = {
        {"acme.yourapp.com", "acme"},       {"ACME.YourApp.COM", "acme"},
        {"acme.yourapp.com:8443", "acme"},  {"acme.yourapp.com.", "acme"},
        {"acme.yourapp.com.:80", "acme"},   {"beta.eu.yourapp.com", "beta"},
        {"tech-start.other.example", "tech-start"}, {"x.OTHER.example:1", "x"},
    };
    for (const auto& [host, label] : cases) {
        INFO("host: " << host);
        const auto found = router::find_subdomain(host, bases, ignored);
        CHECK(found.result == outcome::label);
        CHECK(found.label == label);
    }
}

TEST_CASE("hosts that carry no tenant", "[router][subdomain]") {
    for (const char* host :
         {"", "yourapp.com", "YOURAPP.COM:443", "yourapp.com.", "eu.yourapp.com", "www.yourapp.com",
          "WWW.yourapp.com:80", "api.yourapp.com", "Api.eu.yourapp.com", "acme.yourapp.org",
          "acmeyourapp.com", "notyourapp.com", "localhost", "localhost:8080", "127.0.0.1:8080",
          "[::1]:8080", "[::1]", ".yourapp.com", "yourapp.com.evil.net"}) {
        INFO("host: '" << host << "'");
        CHECK(router::find_subdomain(host, bases, ignored).result == outcome::none);
    }
}

TEST_CASE("more than one label below the base domain is nested", "[router][subdomain]") {
    for (const char* host : {"a.b.yourapp.com", "www.acme.yourapp.com", "A.B.C.yourapp.com:80",
                             "a.b.eu.yourapp.com", "acme..yourapp.com"}) {
        INFO("host: " << host);
        CHECK(router::find_subdomain(host, bases, ignored).result == outcome::nested);
    }
}

TEST_CASE("no base domains configured means no subdomain tenant", "[router][subdomain]") {
    CHECK(router::find_subdomain("acme.yourapp.com", {}, ignored).result == outcome::none);
}

TEST_CASE("nothing is ignored when the list is empty", "[router][subdomain]") {
    const auto found = router::find_subdomain("www.yourapp.com", bases, {});
    CHECK(found.result == outcome::label);
    CHECK(found.label == "www");
}
