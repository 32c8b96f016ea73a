#include "router/typed_text.hpp"

#include <algorithm>
#include <cctype>

#include "router/param_binding.hpp"

namespace router {

namespace {

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool two_digits(std::string_view text, std::size_t pos, int max, int& out) {
    if (pos + 2 > text.size() || !all_digits(text.substr(pos, 2))) return false;
    out = (text[pos] - '0') * 10 + (text[pos + 1] - '0');
    return out <= max;
}

// "Z" or "±HH:MM" within ±14:00, as "+HH:MM".
std::optional<std::string> canonical_offset(std::string_view text) {
    if (text == "Z") return std::string("+00:00");
    int hours = 0, minutes = 0;
    if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
        !two_digits(text, 1, 14, hours) || !two_digits(text, 4, 59, minutes) || hours * 60 + minutes > 14 * 60) {
        return std::nullopt;
    }
    return std::string(text);
}

}  // namespace

std::optional<std::string> canonical_decimal(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    const auto point = text.find('.');
    std::string_view integer = text.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
    if (!all_digits(integer) || (point != std::string_view::npos && !all_digits(fraction))) return std::nullopt;
    while (integer.size() > 1 && integer[0] == '0') integer.remove_prefix(1);
    if (integer.size() + fraction.size() > 38) return std::nullopt;
    std::string out;
    out.reserve(integer.size() + fraction.size() + 2);
    if (negative) out += '-';
    out += integer;
    if (!fraction.empty()) {
        out += '.';
        out += fraction;
    }
    return out;
}

std::optional<std::string> canonical_date(std::string_view text) {
    if (text.size() != 10) return std::nullopt;
    const auto parsed = parse_datetime(text);
    if (!parsed || parsed->year > 9999) return std::nullopt;
    return std::string(text);
}

std::optional<std::string> canonical_time(std::string_view text) {
    int hour = 0, minute = 0, second = 0;
    if (!two_digits(text, 0, 23, hour) || text.size() < 5 || text[2] != ':' || !two_digits(text, 3, 59, minute)) {
        return std::nullopt;
    }
    std::string out(text.substr(0, 5));
    std::size_t pos = 5;
    if (pos < text.size() && text[pos] == ':') {
        if (!two_digits(text, pos + 1, 59, second)) return std::nullopt;
        pos += 3;
    }
    out += text.substr(5, 0);
    out += second < 10 ? ":0" : ":";
    out += std::to_string(second);
    if (pos < text.size()) {
        const std::string_view fraction = text.substr(pos + 1);
        if (text[pos] != '.' || !all_digits(fraction) || fraction.size() > 7) return std::nullopt;
        out += '.';
        out += fraction;
    }
    return out;
}

std::optional<std::string> canonical_datetimeoffset(std::string_view text) {
    if (text.size() < 17 || (text[10] != 'T' && text[10] != ' ')) return std::nullopt;
    const auto date = canonical_date(text.substr(0, 10));
    const auto zone = text.find_first_of("Z+-", 11);
    if (!date || zone == std::string_view::npos) return std::nullopt;
    const auto time = canonical_time(text.substr(11, zone - 11));
    const auto offset = canonical_offset(text.substr(zone));
    if (!time || !offset) return std::nullopt;
    return *date + "T" + *time + *offset;
}

std::optional<std::string> canonical_uuid(std::string_view text) {
    if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
    if (text.size() != 36) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (text[i] == '-')) return std::nullopt;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    }
    return out;
}

}  // namespace router
