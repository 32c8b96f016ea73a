#pragma once
// UTF-8 <-> UTF-16LE conversion: TDS carries every string as UTF-16LE, SQLite as UTF-8.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tdsd {

/// Converts UTF-8 text to UTF-16LE bytes; invalid sequences become U+FFFD.
std::string utf8_to_utf16le(std::string_view utf8);

/// Appends utf8_to_utf16le(utf8) to `out`; returns the bytes appended.
std::size_t append_utf16le(std::vector<std::uint8_t>& out, std::string_view utf8);

/// Converts UTF-16LE bytes to UTF-8; unpaired surrogates become U+FFFD.
std::string utf16le_to_utf8(std::span<const std::uint8_t> utf16);

/// Number of UTF-16 code units needed for UTF-8 text.
std::size_t utf16_length(std::string_view utf8);

/// The longest prefix of UTF-8 text whose UTF-16LE form fits in `max_bytes`: whole code
/// points only, so a surrogate pair is never split (SET TEXTSIZE cutting NVARCHAR(MAX)).
std::string_view utf16_prefix(std::string_view utf8, std::uint64_t max_bytes);

}  // namespace tdsd
