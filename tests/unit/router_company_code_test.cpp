// router::normalize_company_code: accepted shapes, upper-casing, and every refusal.
#include <catch2/catch.hpp>

#include <string>

#include "router/company_code.hpp"

TEST_CASE("company codes are upper-cased whatever their case", "[router][company_code]") {
    const std::pair<const char*, const char*> cases[] = {
        {"ACME", "ACME"},       {"acme", "ACME"},   {"AcMe", "ACME"},     {"a", "A"},
        {"tech-start", "TECH-START"}, {"global_sec", "GLOBAL_SEC"}, {"0042", "0042"},
        {"-", "-"},             {"_x9", "_X9"},
    };
    for (const auto& [raw, expected] : cases) {
        INFO("raw: '" << raw << "'");
        CHECK(router::normalize_company_code(raw) == std::optional<std::string>(expected));
    }
}

TEST_CASE("codes of 64 characters pass, 65 do not", "[router][company_code]") {
    CHECK(router::normalize_company_code(std::string(64, 'a')) == std::string(64, 'A'));
    CHECK_FALSE(router::normalize_company_code(std::string(65, 'a')).has_value());
}

TEST_CASE("anything outside [A-Za-z0-9_-] is refused", "[router][company_code]") {
    for (const std::string raw : {"", " ACME", "ACME ", "AC ME", "ACME.", "AC/ME", "AC%20ME",
                                  "ACME,BETA", "A+B", "ÄCME", "AC\tME", "'ACME'", "AC;ME",
                                  "ACME\n"}) {
        INFO("raw: '" << raw << "'");
        CHECK_FALSE(router::normalize_company_code(raw).has_value());
    }
    CHECK_FALSE(router::normalize_company_code(std::string("AC\0ME", 5)).has_value());
}
