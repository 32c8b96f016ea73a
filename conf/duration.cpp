// conf::parse_duration: the one duration syntax of the configuration file.
#include <charconv>
#include <limits>

#include "conf/loader.hpp"

namespace conf {

std::optional<duration> parse_duration(std::string_view text) {
    if (text == "0") {
        return duration{0};
    }
    std::uint64_t count = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    // from_chars on an unsigned type rejects a sign, so "-1s" and "+1s" fail here.
    auto [rest, ec] = std::from_chars(first, last, count);
    if (ec != std::errc{} || rest == first) {
        return std::nullopt;
    }
    const std::string_view unit(rest, static_cast<std::size_t>(last - rest));
    std::uint64_t unit_ms = 0;
    if (unit == "ms") {
        unit_ms = 1;
    } else if (unit == "s") {
        unit_ms = 1000;
    } else if (unit == "m") {
        unit_ms = 60 * 1000;
    } else if (unit == "h") {
        unit_ms = 60 * 60 * 1000;
    } else {
        return std::nullopt;
    }
    // Refuse values whose milliseconds would overflow the representation.
    const auto max_ms = static_cast<std::uint64_t>(std::numeric_limits<duration::rep>::max());
    if (count > max_ms / unit_ms) {
        return std::nullopt;
    }
    return duration{static_cast<duration::rep>(count * unit_ms)};
}

}  // namespace conf
