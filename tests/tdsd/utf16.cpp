#include "tests/tdsd/utf16.hpp"

namespace tdsd {
namespace {

constexpr char32_t replacement = 0xFFFD;

// Decodes one code point at `pos`, advancing it; malformed input yields U+FFFD.
char32_t decode_utf8(std::string_view s, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(s[pos++]);
  if (lead < 0x80) return lead;
  int extra = 0;
  char32_t cp = 0;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    return replacement;
  }
  for (int i = 0; i < extra; ++i) {
    if (pos >= s.size() || (static_cast<unsigned char>(s[pos]) & 0xC0) != 0x80) return replacement;
    cp = (cp << 6) | (static_cast<unsigned char>(s[pos++]) & 0x3F);
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return replacement;
  return cp;
}

void put_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

// Writes the UTF-16LE form of `utf8` at `out`, which has room for 2 bytes per input byte
// (no UTF-8 sequence grows more than that); returns the bytes written.
template <typename Byte>
std::size_t encode_utf16le(std::string_view utf8, Byte* out) {
  Byte* p = out;
  const auto put = [&p](char32_t unit) {
    *p++ = static_cast<Byte>(unit & 0xFF);
    *p++ = static_cast<Byte>(unit >> 8);
  };
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    if (static_cast<unsigned char>(utf8[pos]) < 0x80) {  // ASCII: most text, one step per byte
      put(static_cast<unsigned char>(utf8[pos++]));
      continue;
    }
    const char32_t cp = decode_utf8(utf8, pos);
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      put(0xD800 + (v >> 10));
      put(0xDC00 + (v & 0x3FF));
    } else {
      put(cp);
    }
  }
  return static_cast<std::size_t>(p - out);
}

std::string utf8_to_utf16le(std::string_view utf8) {
  std::string out(utf8.size() * 2, '\0');
  out.resize(encode_utf16le(utf8, out.data()));
  return out;
}

std::size_t append_utf16le(std::vector<std::uint8_t>& out, std::string_view utf8) {
  const std::size_t start = out.size();
  out.resize(start + utf8.size() * 2);
  const std::size_t n = encode_utf16le(utf8, out.data() + start);
  out.resize(start + n);
  return n;
}

std::string utf16le_to_utf8(std::span<const std::uint8_t> utf16) {
  std::string out;
  out.reserve(utf16.size() / 2);
  const std::size_t units = utf16.size() / 2;
  for (std::size_t i = 0; i < units; ++i) {
    const char16_t u = static_cast<char16_t>(utf16[2 * i] | (utf16[2 * i + 1] << 8));
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      const char16_t low = static_cast<char16_t>(utf16[2 * i + 2] | (utf16[2 * i + 3] << 8));
      if (low >= 0xDC00 && low <= 0xDFFF) {
        put_utf8(out, 0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) + (low - 0xDC00));
        ++i;
        continue;
      }
    }
    put_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? replacement : u);
  }
  return out;
}

std::size_t utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  std::size_t pos = 0;
  while (pos < utf8.size()) units += decode_utf8(utf8, pos) >= 0x10000 ? 2 : 1;
  return units;
}

std::string_view utf16_prefix(std::string_view utf8, std::uint64_t max_bytes) {
  std::uint64_t bytes = 0;
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    std::size_t next = pos;
    const std::uint64_t size = decode_utf8(utf8, next) >= 0x10000 ? 4 : 2;
    if (bytes + size > max_bytes) break;
    bytes += size;
    pos = next;
  }
  return utf8.substr(0, pos);
}

}  // namespace tdsd
