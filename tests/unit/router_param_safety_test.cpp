// Hostile parameter values: 1 MB values on every constraint, invalid UTF-8, NUL and
// non-finite numbers are refused as values, never allowed to hang or crash the process.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "conf/value_pattern.hpp"
#include "router/param_binding.hpp"
#include "router/utf8.hpp"

using conf::param_config;
using conf::param_source;
using conf::param_type;
using router::binding_inputs;
using router::text_input;

namespace {

constexpr std::size_t megabyte = 1024 * 1024;

param_config param(std::string name, param_type type, param_source source = param_source::query) {
    param_config p;
    p.name = std::move(name);
    p.type = type;
    p.source = source;
    return p;
}

conf::value_pattern pattern(std::string_view text) {
    auto compiled = conf::value_pattern::compile(text);
    REQUIRE(std::holds_alternative<conf::value_pattern>(compiled));
    return std::get<conf::value_pattern>(std::move(compiled));
}

/// The one problem of binding `p` from a query value, or "" when it binds.
std::string query_problem(const param_config& p, router::input_value value) {
    binding_inputs in;
    in.query = {{p.name, std::move(value)}};
    const auto result = router::bind_params({p}, in);
    return result.problems.empty() ? std::string() : result.problems.front().problem;
}

}  // namespace

TEST_CASE("a 1 MB value on a pattern is matched in linear time", "[router][params]") {
    auto code = param("code", param_type::string);
    code.pattern = pattern("[a-z]+");
    // std::regex recursed once per character here and overflowed the stack
    CHECK(query_problem(code, text_input{std::string(megabyte, 'a')}).empty());
    CHECK(query_problem(code, std::string(megabyte, 'a') + "!") == "does not match the required pattern");

    auto nested = param("nested", param_type::string);
    nested.pattern = pattern("(a|aa)*(b|ab)*");  // exponential for a backtracking engine
    CHECK(query_problem(nested, text_input{std::string(megabyte, 'a') + "c"}) ==
          "does not match the required pattern");
}

TEST_CASE("1 MB values on every other constraint are refused quickly", "[router][params]") {
    auto name = param("name", param_type::string);
    name.max_length = 50;
    CHECK(query_problem(name, text_input{std::string(megabyte, 'x')}) ==
          "must be at most 50 characters long");

    auto count = param("count", param_type::int32);
    count.min = 1;
    count.max = 10;
    CHECK(query_problem(count, text_input{std::string(megabyte, '9')}) == "expected an integer");

    auto price = param("price", param_type::number);
    price.min = 0;
    price.max = 100;
    CHECK(query_problem(price, text_input{std::string(megabyte, '9')}) == "expected a finite number");
    CHECK(query_problem(price, text_input{"0." + std::string(megabyte, '5')}).empty());

    auto when = param("when", param_type::datetime);
    CHECK_FALSE(query_problem(when, text_input{std::string(megabyte, '2')}).empty());

    auto blob = param("blob", param_type::binary);
    blob.max_length = 16;
    CHECK(query_problem(blob, text_input{std::string(megabyte, 'A')}) == "must be at most 16 bytes long");

    auto flag = param("flag", param_type::boolean);
    CHECK(query_problem(flag, text_input{std::string(megabyte, 't')}) == "expected true or false");
}

TEST_CASE("text that is not valid UTF-8 is refused for every type", "[router][params]") {
    const std::vector<std::string> bad = {
        "\xff",              // never a UTF-8 byte
        "abc\xc3",           // truncated sequence
        "\xc0\xaf",          // overlong '/'
        "\xe0\x80\xaf",      // overlong, three bytes
        "\xed\xa0\x80",      // a UTF-16 surrogate
        "\xf4\x90\x80\x80",  // above U+10FFFF
        "\x80",              // lone continuation byte
    };
    for (const param_type type : {param_type::string, param_type::int32, param_type::number,
                                  param_type::datetime, param_type::binary, param_type::boolean}) {
        const auto p = param("v", type);
        for (const std::string& text : bad) {
            INFO("type " << static_cast<int>(type) << ", bytes of length " << text.size());
            CHECK(query_problem(p, text_input{text}) == "must be valid UTF-8");
            CHECK(query_problem(p, text) == "must be valid UTF-8");  // a JSON string
        }
    }
    CHECK(query_problem(param("v", param_type::string), text_input{"Z\xc3\xbcrich \xf0\x9f\x98\x80"}).empty());
}

TEST_CASE("text containing NUL is refused", "[router][params]") {
    const std::string with_nul("ab\0cd", 5);
    CHECK(query_problem(param("v", param_type::string), text_input{with_nul}) ==
          "must not contain NUL characters");
    CHECK(query_problem(param("v", param_type::string), with_nul) ==  // a JSON string
          "must not contain NUL characters");
    CHECK(query_problem(param("v", param_type::int64), text_input{std::string("1\0", 2)}) ==
          "must not contain NUL characters");
}

TEST_CASE("numbers that are not finite are refused", "[router][params]") {
    auto price = param("price", param_type::number);
    price.min = 0;
    price.max = 100;
    for (const char* text : {"1e999", "-1e999", "inf", "-inf", "Infinity", "nan", "NaN"}) {
        INFO(text);
        CHECK(query_problem(price, text_input{text}) == "expected a finite number");
    }
    // a JSON body's 1e999 arrives as infinity; NaN would pass both min and max
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(query_problem(price, inf) == "expected a finite number");
    CHECK(query_problem(price, -inf) == "expected a finite number");
    CHECK(query_problem(price, std::numeric_limits<double>::quiet_NaN()) == "expected a finite number");
    CHECK(query_problem(param("n", param_type::int64), inf) == "expected an integer");
    CHECK(query_problem(param("n", param_type::int32), text_input{"1e999"}) == "expected an integer");
}

TEST_CASE("patterns are RE2, anchored at both ends, compiled once", "[router][params]") {
    const auto status = pattern("open|closed");
    CHECK(status.full_match("open"));
    CHECK(status.full_match("closed"));
    CHECK_FALSE(status.full_match("opened"));
    CHECK_FALSE(status.full_match("reopen"));
    CHECK_FALSE(status.full_match("open\n"));
    CHECK(pattern("^[a-z]+$").full_match("abc"));
    CHECK(pattern("[a-z]+") == "[a-z]+");

    const auto error_of = [](std::string_view text) {
        auto compiled = conf::value_pattern::compile(text);
        const auto* error = std::get_if<std::string>(&compiled);
        return error ? *error : std::string();
    };
    CHECK_FALSE(error_of("([").empty());
    CHECK_FALSE(error_of("(a)\\1").empty());     // backreference: not linear-time
    CHECK_FALSE(error_of("(?=a)a").empty());     // lookahead
    CHECK(error_of("\\pL{1000}") == "pattern too large - compile failed");  // memory budget
}

TEST_CASE("UTF-8 is checked per RFC 3629 and repaired with U+FFFD", "[router][utf8]") {
    CHECK(router::is_valid_utf8(""));
    CHECK(router::is_valid_utf8("plain ascii"));
    CHECK(router::is_valid_utf8("\xc2\x80 \xe0\xa0\x80 \xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));
    CHECK_FALSE(router::is_valid_utf8("\xc1\xbf"));
    CHECK_FALSE(router::is_valid_utf8("\xf5\x80\x80\x80"));
    CHECK_FALSE(router::is_valid_utf8("\xed\xbf\xbf"));

    const std::string fffd = "\xef\xbf\xbd";
    CHECK(router::to_valid_utf8("ok \xc3\xbc") == "ok \xc3\xbc");
    CHECK(router::to_valid_utf8("a\xff" "b") == "a" + fffd + "b");
    CHECK(router::to_valid_utf8("\xe2\x82") == fffd);  // one maximal subpart, one U+FFFD
    CHECK(router::to_valid_utf8("\xe2\x82x") == fffd + "x");
    CHECK(router::to_valid_utf8("\xc0\xaf") == fffd + fffd);
    CHECK(router::to_valid_utf8("\xed\xa0\x80") == fffd + fffd + fffd);
    CHECK(router::is_valid_utf8(router::to_valid_utf8(std::string(megabyte, '\xff'))));
}
