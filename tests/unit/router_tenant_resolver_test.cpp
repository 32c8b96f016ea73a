// router::tenant_resolver: each source, the configured order, invalid values and
// conflicts between every pair of sources and within one source.
#include <catch2/catch.hpp>

#include <string>

#include "router/tenant_resolver.hpp"

namespace {

using conf::tenant_source;

conf::tenant_resolution_config all_sources() {
    conf::tenant_resolution_config config;
    config.order = {tenant_source::query, tenant_source::subdomain, tenant_source::header,
                    tenant_source::token};
    config.base_domains = {"yourapp.com"};
    return config;
}

/// A request built up source by source; each setter names a tenant one way.
struct request {
    router::parsed_target target{"/api/customers", {}};
    std::string host = "localhost:8080";
    std::vector<std::string> headers;
    std::optional<std::string> token;

    request& query(std::string value) {
        target.query.emplace_back("company", std::move(value));
        return *this;
    }
    request& subdomain(const std::string& label) {
        host = label + ".yourapp.com";
        return *this;
    }
    request& header(std::string value) {
        headers.push_back(std::move(value));
        return *this;
    }
    request& claim(std::string value) {
        token = std::move(value);
        return *this;
    }
    request& by(tenant_source source, const std::string& value) {
        switch (source) {
            case tenant_source::query: return query(value);
            case tenant_source::subdomain: return subdomain(value);
            case tenant_source::header: return header(value);
            case tenant_source::token: return claim(value);
        }
        return *this;
    }

    router::tenant_resolution resolve(const router::tenant_resolver& resolver) const {
        router::request_facts facts{&target, host, {}, token};
        for (const auto& h : headers) {
            facts.tenant_headers.push_back(h);
        }
        return resolver.resolve(facts);
    }
};

void check_error(const router::tenant_resolution& r, const std::string& code) {
    CHECK_FALSE(r.code.has_value());
    REQUIRE(r.error.has_value());
    CHECK(r.error->status == 400);
    CHECK(r.error->code == code);
}

const tenant_source every_source[] = {tenant_source::query, tenant_source::subdomain,
                                      tenant_source::header, tenant_source::token};

}  // namespace

TEST_CASE("each source alone names the tenant, normalised", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    for (const tenant_source source : every_source) {
        INFO("source: " << router::source_name(source));
        const auto r = request{}.by(source, "acme").resolve(resolver);
        CHECK_FALSE(r.error.has_value());
        CHECK(r.code == "ACME");
        CHECK(r.source == source);
    }
}

TEST_CASE("no source present: no code and no error", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    const auto r = request{}.resolve(resolver);
    CHECK_FALSE(r.code.has_value());
    CHECK_FALSE(r.error.has_value());
}

TEST_CASE("the defaults: ?company=, subdomain, X-Company-Code; no token", "[router][tenant]") {
    conf::tenant_resolution_config config;
    config.base_domains = {"yourapp.com"};
    const router::tenant_resolver resolver(config);
    CHECK(request{}.query("acme").resolve(resolver).code == "ACME");
    CHECK(request{}.subdomain("acme").resolve(resolver).code == "ACME");
    CHECK(request{}.header("acme").resolve(resolver).code == "ACME");
    // token is not in the default order, so a claim is not consulted at all
    CHECK_FALSE(request{}.claim("acme").resolve(resolver).code.has_value());
    CHECK(request{}.claim("BETA").header("acme").resolve(resolver).code == "ACME");
}

TEST_CASE("sources left out of the order are ignored entirely", "[router][tenant]") {
    auto config = all_sources();
    config.order = {tenant_source::header};
    const router::tenant_resolver resolver(config);
    CHECK_FALSE(request{}.query("ACME").resolve(resolver).code.has_value());
    CHECK(request{}.query("not valid!").header("beta").resolve(resolver).code == "BETA");
    CHECK(request{}.subdomain("a").header("b").resolve(resolver).code == "B");
}

TEST_CASE("the same code from every source is accepted; source is the first in order",
          "[router][tenant]") {
    auto config = all_sources();
    const auto r =
        request{}.query("acme").subdomain("ACME").header("Acme").claim("aCME").resolve(
            router::tenant_resolver(config));
    CHECK_FALSE(r.error.has_value());
    CHECK(r.code == "ACME");
    CHECK(r.source == tenant_source::query);

    config.order = {tenant_source::header, tenant_source::query};
    const auto h = request{}.query("acme").header("ACME").resolve(router::tenant_resolver(config));
    CHECK(h.code == "ACME");
    CHECK(h.source == tenant_source::header);
}

TEST_CASE("two sources that disagree are a tenant_conflict, for every pair",
          "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    for (const tenant_source a : every_source) {
        for (const tenant_source b : every_source) {
            if (a == b) {
                continue;
            }
            INFO(router::source_name(a) << " vs " << router::source_name(b));
            const auto r = request{}.by(a, "acme").by(b, "beta").resolve(resolver);
            check_error(r, "tenant_conflict");
            CHECK_THAT(r.error->message, Catch::Contains("ACME") && Catch::Contains("BETA"));
            CHECK_THAT(r.error->message, Catch::Contains(std::string(router::source_name(a))) &&
                                             Catch::Contains(std::string(router::source_name(b))));
        }
    }
}

TEST_CASE("two values of one source that disagree are a tenant_conflict", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    const auto q = request{}.query("A").query("B").resolve(resolver);
    check_error(q, "tenant_conflict");
    CHECK_THAT(q.error->message, Catch::Contains("query parameter 'company'"));
    const auto h = request{}.header("A").header("b").resolve(resolver);
    check_error(h, "tenant_conflict");
    CHECK_THAT(h.error->message, Catch::Contains("header 'X-Company-Code'"));
}

TEST_CASE("repeated equal values of one source are fine", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    CHECK(request{}.query("a").query("A").resolve(resolver).code == "A");
    CHECK(request{}.header("a").header(" A ").header("a").resolve(resolver).code == "A");
}

TEST_CASE("an invalid value from any source is invalid_company_code", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    for (const tenant_source source : {tenant_source::query, tenant_source::header,
                                       tenant_source::token}) {
        for (const std::string& bad :
             std::vector<std::string>{"", "AC ME", "a,b", "acme!", std::string(65, 'x')}) {
            INFO(router::source_name(source) << ": '" << bad << "'");
            check_error(request{}.by(source, bad).resolve(resolver), "invalid_company_code");
        }
    }
    check_error(request{}.subdomain("bad!").resolve(resolver), "invalid_company_code");
}

TEST_CASE("an invalid value wins over a valid one from another source", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    check_error(request{}.query("ACME").header("").resolve(resolver), "invalid_company_code");
    check_error(request{}.query("ACME").query("").resolve(resolver), "invalid_company_code");
    check_error(request{}.query("A B").header("ACME").resolve(resolver), "invalid_company_code");
}

TEST_CASE("?company= with an empty value is invalid, other parameters are ignored",
          "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    check_error(request{}.query("").resolve(resolver), "invalid_company_code");
    request other;
    other.target.query = {{"Company", "BETA"}, {"companyx", "C"}, {"page", "2"}};
    const auto r = other.resolve(resolver);
    CHECK_FALSE(r.error.has_value());
    CHECK_FALSE(r.code.has_value());
}

TEST_CASE("configured parameter, header and claim names appear in messages",
          "[router][tenant]") {
    auto config = all_sources();
    config.query_param = "tenant";
    config.header = "X-Tenant";
    config.token_claim = "org";
    const router::tenant_resolver resolver(config);
    request r;
    r.target.query = {{"tenant", "acme"}, {"company", "zzz"}};
    CHECK(r.resolve(resolver).code == "ACME");
    const auto conflict = r.header("beta").resolve(resolver);
    check_error(conflict, "tenant_conflict");
    CHECK_THAT(conflict.error->message,
               Catch::Contains("query parameter 'tenant'") && Catch::Contains("header 'X-Tenant'"));
    const auto bad = request{}.claim("a b").resolve(resolver);
    check_error(bad, "invalid_company_code");
    CHECK_THAT(bad.error->message, Catch::Contains("token claim 'org'"));
}

TEST_CASE("subdomain edge cases inside resolution", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    request r;
    for (const char* host : {"yourapp.com", "www.yourapp.com", "WWW.YOURAPP.COM:443", "localhost"}) {
        r.host = host;
        INFO("host: " << host);
        const auto none = r.resolve(resolver);
        CHECK_FALSE(none.code.has_value());
        CHECK_FALSE(none.error.has_value());
    }
    r.host = "Acme.YourApp.com:8443";
    CHECK(r.resolve(resolver).code == "ACME");
    r.host = "a.b.yourapp.com";
    check_error(r.resolve(resolver), "invalid_company_code");
    r.host = "under_score.yourapp.com";
    CHECK(r.resolve(resolver).code == "UNDER_SCORE");
}

TEST_CASE("a null target means no query source", "[router][tenant]") {
    const router::tenant_resolver resolver(all_sources());
    router::request_facts facts{nullptr, "acme.yourapp.com", {}, std::nullopt};
    CHECK(resolver.resolve(facts).code == "ACME");
}
