#include "tests/tdsd/wire.hpp"

#include "tests/tdsd/utf16.hpp"

namespace tdsd {

void byte_writer::u16(std::uint16_t v) { uint_n(v, 2); }
void byte_writer::u32(std::uint32_t v) { uint_n(v, 4); }
void byte_writer::u64(std::uint64_t v) { uint_n(v, 8); }

void byte_writer::uint_n(std::uint64_t v, int n) {
  std::uint8_t b[8];
  for (int i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  buf_.insert(buf_.end(), b, b + n);
}

std::size_t byte_writer::utf16le(std::string_view utf8) { return append_utf16le(buf_, utf8); }

void byte_writer::b_varchar(std::string_view utf8) {
  const std::string u = utf8_to_utf16le(utf8);
  const std::size_t units = std::min<std::size_t>(u.size() / 2, 255);
  u8(static_cast<std::uint8_t>(units));
  bytes(std::string_view(u).substr(0, units * 2));
}

void byte_writer::us_varchar(std::string_view utf8) {
  const std::string u = utf8_to_utf16le(utf8);
  const std::size_t units = std::min<std::size_t>(u.size() / 2, 65535);
  u16(static_cast<std::uint16_t>(units));
  bytes(std::string_view(u).substr(0, units * 2));
}

void byte_writer::patch_u16(std::size_t pos, std::uint16_t v) {
  buf_.at(pos) = static_cast<std::uint8_t>(v);
  buf_.at(pos + 1) = static_cast<std::uint8_t>(v >> 8);
}

std::uint8_t byte_reader::u8() { return take(1)[0]; }
std::uint16_t byte_reader::u16() { return static_cast<std::uint16_t>(uint_n(2)); }
std::uint32_t byte_reader::u32() { return static_cast<std::uint32_t>(uint_n(4)); }
std::uint64_t byte_reader::u64() { return uint_n(8); }

std::uint64_t byte_reader::uint_n(std::size_t n) {
  const auto b = take(n);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  return v;
}

std::span<const std::uint8_t> byte_reader::take(std::size_t n) {
  if (n > remaining()) throw protocol_error("message truncated");
  const auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::string byte_reader::utf16(std::size_t chars) { return utf16le_to_utf8(take(chars * 2)); }

void byte_reader::seek(std::size_t pos) {
  if (pos > data_.size()) throw protocol_error("offset out of range");
  pos_ = pos;
}

}  // namespace tdsd
