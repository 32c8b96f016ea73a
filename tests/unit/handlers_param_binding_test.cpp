// Binding SQL route parameters: every type, every source, every constraint.
#include <catch2/catch.hpp>

#include "router/param_binding.hpp"

using conf::param_config;
using conf::param_source;
using conf::param_type;
using router::binding_inputs;
using router::text_input;

namespace {

param_config param(std::string name, param_type type, param_source source = param_source::query) {
    param_config p;
    p.name = std::move(name);
    p.type = type;
    p.source = source;
    return p;
}

std::string problem_for(const router::binding_result& result, const std::string& field) {
    for (const auto& p : result.problems) {
        if (p.field == field) return p.problem;
    }
    return {};
}

}  // namespace

TEST_CASE("values from every source are bound by name or key", "[binding]") {
    auto id = param("id", param_type::int32, param_source::path);
    auto status = param("status", param_type::string);
    auto title = param("title", param_type::string, param_source::body);
    auto user = param("user_id", param_type::int64, param_source::claim);
    user.key = "sub";
    binding_inputs in;
    in.path = {{"id", text_input{"42"}}};
    in.query = {{"status", text_input{"open"}}, {"status", text_input{"closed"}}};
    in.body = {{"title", std::string("Fix'; DROP TABLE Tickets;--")}};
    in.claims = {{"sub", text_input{"7"}}};

    const auto result = router::bind_params({id, status, title, user}, in);
    REQUIRE(result.ok());
    REQUIRE(result.params.size() == 4);
    CHECK(std::get<std::int64_t>(result.params[0].value) == 42);
    CHECK(std::get<std::string>(result.params[1].value) == "open");  // first occurrence wins
    CHECK(std::get<std::string>(result.params[2].value) == "Fix'; DROP TABLE Tickets;--");
    CHECK(result.params[3].name == "user_id");
    CHECK(std::get<std::int64_t>(result.params[3].value) == 7);
}

TEST_CASE("absent values take the default, are required, or bind NULL", "[binding]") {
    auto page = param("page", param_type::int32);
    page.default_value = "1";
    auto name = param("name", param_type::string, param_source::body);
    name.required = true;
    auto priority = param("priority", param_type::int32);
    auto note = param("note", param_type::string, param_source::body);
    binding_inputs in;
    in.query = {{"priority", text_input{""}}};  // empty text for a non-string: absent
    in.body = {{"note", router::json_null{}}};

    const auto result = router::bind_params({page, name, priority, note}, in);
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems[0].field == "name");
    CHECK(result.problems[0].problem == "is required");

    const auto ok = router::bind_params({page, priority, note}, in);
    REQUIRE(ok.ok());
    CHECK(std::get<std::int64_t>(ok.params[0].value) == 1);
    CHECK(std::holds_alternative<std::monostate>(ok.params[1].value));
    CHECK(ok.params[1].type == param_type::int32);
    CHECK(std::holds_alternative<std::monostate>(ok.params[2].value));
}

TEST_CASE("types are converted strictly", "[binding]") {
    binding_inputs in;
    in.query = {{"i", text_input{"12x"}},       {"big", text_input{"9223372036854775807"}},
                {"n", text_input{"2.5"}},       {"b", text_input{"yes"}},
                {"d", text_input{"2024-02-30"}}, {"bin", text_input{"***"}},
                {"i32", text_input{"2147483648"}}};
    in.body = {{"bj", true}, {"ij", 5.0}, {"fj", 5.5}, {"obj", router::json_composite{}},
               {"sj", std::int64_t{3}}, {"dt", std::string("2024-02-29T23:59:58.5Z")},
               {"bb", std::string("AAEC/w==")}};
    const auto result = router::bind_params(
        {param("i", param_type::int32), param("big", param_type::int64),
         param("n", param_type::number), param("b", param_type::boolean),
         param("d", param_type::datetime), param("bin", param_type::binary),
         param("i32", param_type::int32), param("bj", param_type::boolean, param_source::body),
         param("ij", param_type::int32, param_source::body),
         param("fj", param_type::int32, param_source::body),
         param("obj", param_type::string, param_source::body),
         param("sj", param_type::string, param_source::body),
         param("dt", param_type::datetime, param_source::body),
         param("bb", param_type::binary, param_source::body)},
        in);
    CHECK(problem_for(result, "i") == "expected an integer");
    CHECK(problem_for(result, "big").empty());
    CHECK(problem_for(result, "n").empty());
    CHECK(problem_for(result, "b") == "expected true or false");
    CHECK(problem_for(result, "d").find("ISO 8601") != std::string::npos);
    CHECK(problem_for(result, "bin") == "expected base64 data");
    CHECK(problem_for(result, "i32") == "outside the 32-bit integer range");
    CHECK(problem_for(result, "bj").empty());
    CHECK(problem_for(result, "ij").empty());
    CHECK(problem_for(result, "fj") == "expected an integer");
    CHECK(problem_for(result, "obj") == "expected a single value");
    CHECK(problem_for(result, "sj") == "expected a string");
    CHECK(problem_for(result, "dt").empty());
    CHECK(problem_for(result, "bb").empty());
    CHECK(result.problems.size() == 8);

    for (const auto& p : result.params) {
        if (p.name == "dt") {
            const auto& dt = std::get<router::bound_datetime>(p.value);
            CHECK(dt == router::bound_datetime{2024, 2, 29, 23, 59, 58, 500'000'000});
        }
        if (p.name == "bb") {
            CHECK(std::get<std::vector<std::uint8_t>>(p.value) == std::vector<std::uint8_t>{0, 1, 2, 255});
        }
    }
}

TEST_CASE("min, max, max_length and pattern are enforced", "[binding]") {
    auto size = param("size", param_type::int32);
    size.min = 1;
    size.max = 100;
    auto code = param("code", param_type::string);
    code.max_length = 3;
    auto status = param("status", param_type::string);
    status.pattern = std::get<conf::value_pattern>(conf::value_pattern::compile("open|closed"));
    auto price = param("price", param_type::number);
    price.min = 0.5;

    binding_inputs bad;
    bad.query = {{"size", text_input{"101"}}, {"code", text_input{"ABCD"}},
                 {"status", text_input{"open' OR 1=1"}}, {"price", text_input{"0.25"}}};
    const auto result = router::bind_params({size, code, status, price}, bad);
    CHECK(problem_for(result, "size") == "must be at most 100");
    CHECK(problem_for(result, "code") == "must be at most 3 characters long");
    CHECK(problem_for(result, "status") == "does not match the required pattern");
    CHECK(problem_for(result, "price") == "must be at least 0.5");

    binding_inputs good;
    good.query = {{"size", text_input{"100"}}, {"code", text_input{"ÄÖÜ"}},  // 3 characters, 6 bytes
                  {"status", text_input{"closed"}}, {"price", text_input{"0.5"}}};
    CHECK(router::bind_params({size, code, status, price}, good).ok());
}

TEST_CASE("base64 and datetime parsers", "[binding]") {
    CHECK(router::decode_base64("aGVsbG8=") == std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'});
    CHECK(router::decode_base64("aGVsbG8") == std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'});
    CHECK(router::decode_base64("").value().empty());
    CHECK_FALSE(router::decode_base64("a"));
    CHECK_FALSE(router::decode_base64("a b="));
    // blanks, '=' inside and other alphabets are refused, whatever OpenSSL would skip
    CHECK_FALSE(router::decode_base64(" aGVsbG8="));
    CHECK_FALSE(router::decode_base64("aGVsbG8=\n"));
    CHECK_FALSE(router::decode_base64("aG=sbG8="));
    CHECK_FALSE(router::decode_base64("aGVsbG8-"));
    CHECK(router::decode_base64("aA") == std::vector<std::uint8_t>{'h'});
    CHECK(router::decode_base64("aGU") == std::vector<std::uint8_t>{'h', 'e'});
    CHECK(router::decode_base64("/+8=") == std::vector<std::uint8_t>{0xff, 0xef});

    CHECK(router::parse_datetime("2024-03-01") == router::bound_datetime{2024, 3, 1, 0, 0, 0, 0});
    CHECK(router::parse_datetime("2024-03-01T12:30") == router::bound_datetime{2024, 3, 1, 12, 30, 0, 0});
    CHECK(router::parse_datetime("2024-03-01 12:30:05.1234567") ==
          router::bound_datetime{2024, 3, 1, 12, 30, 5, 123'456'700});
    CHECK_FALSE(router::parse_datetime("2023-02-29"));
    CHECK_FALSE(router::parse_datetime("2024-03-01T25:00"));
    CHECK_FALSE(router::parse_datetime("2024-03-01T12:30:00+02:00"));
    CHECK_FALSE(router::parse_datetime("yesterday"));
}
