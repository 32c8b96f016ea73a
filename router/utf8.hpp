#pragma once
// UTF-8 checks for client text: parameters must be valid UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), and text echoed back in JSON is made
// valid by replacing each bad sequence with U+FFFD.

#include <string>
#include <string_view>

namespace router {

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

/// `text` with every ill-formed sequence replaced by U+FFFD (one per maximal subpart,
/// as the Unicode standard recommends); valid text comes back unchanged.
std::string to_valid_utf8(std::string_view text);

}  // namespace router
