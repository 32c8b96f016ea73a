// conf::parse_duration: the accepted spellings and everything else.
#include <catch2/catch.hpp>

#include "conf/loader.hpp"

using namespace std::chrono_literals;

TEST_CASE("durations in ms, s, m and h are accepted", "[conf][duration]") {
    CHECK(conf::parse_duration("250ms") == 250ms);
    CHECK(conf::parse_duration("5s") == 5s);
    CHECK(conf::parse_duration("2m") == 2min);
    CHECK(conf::parse_duration("1h") == 1h);
    CHECK(conf::parse_duration("0") == 0ms);
    CHECK(conf::parse_duration("0s") == 0ms);
    CHECK(conf::parse_duration("0ms") == 0ms);
    CHECK(conf::parse_duration("90s") == 90s);
    CHECK(conf::parse_duration("1000000h") == 1000000h);
}

TEST_CASE("malformed durations are refused", "[conf][duration]") {
    for (const char* text : {"5", "5 s", "-1s", "+1s", "5x", "", "s", "ms", "1.5s", " 5s", "5s ",
                             "5S", "5sec", "5min", "1d", "00", "1e3ms", "0x10s", "5ms5",
                             "99999999999999999999h", "9999999999999999h"}) {
        INFO("duration text: '" << text << "'");
        CHECK_FALSE(conf::parse_duration(text).has_value());
    }
}
