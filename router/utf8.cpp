#include "router/utf8.hpp"

#include <cstddef>

namespace router {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

/// Length of the well-formed sequence starting at `pos`, or 0 when it is ill-formed.
/// `*subpart` is set to the length of the maximal ill-formed prefix (at least 1).
std::size_t sequence_length(std::string_view text, std::size_t pos, std::size_t* subpart) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    *subpart = 1;
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (pos + i >= text.size()) return 0;
        const unsigned char c = byte(pos + i);
        const bool ok = i == 1 ? (c >= low && c <= high) : (c >= 0x80 && c <= 0xBF);
        if (!ok) return 0;
        *subpart = i + 1;
    }
    return length;
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
    std::size_t subpart = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t length = sequence_length(text, pos, &subpart);
        if (length == 0) return false;
        pos += length;
    }
    return true;
}

std::string to_valid_utf8(std::string_view text) {
    if (is_valid_utf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    std::size_t subpart = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t length = sequence_length(text, pos, &subpart);
        if (length == 0) {
            out += replacement;
            pos += subpart;
        } else {
            out.append(text, pos, length);
            pos += length;
        }
    }
    return out;
}

}  // namespace router
