#include "tests/tdsd/login7.hpp"

#include <vector>

#include "tests/tdsd/utf16.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

constexpr std::size_t fixed_size = 94;

// Reads the (offset, length in UTF-16 units) pair at `at` and returns the raw UTF-16 bytes.
std::span<const std::uint8_t> field(std::span<const std::uint8_t> payload, std::size_t at) {
  byte_reader r(payload);
  r.seek(at);
  const std::size_t offset = r.u16();
  const std::size_t chars = r.u16();
  if (offset + chars * 2 > payload.size()) throw protocol_error("LOGIN7 field out of range");
  return payload.subspan(offset, chars * 2);
}

std::string text_field(std::span<const std::uint8_t> payload, std::size_t at) {
  return utf16le_to_utf8(field(payload, at));
}

// The client scrambles each password byte as swap_nibbles(b) ^ 0xA5.
std::string decode_password(std::span<const std::uint8_t> scrambled) {
  std::vector<std::uint8_t> plain(scrambled.size());
  for (std::size_t i = 0; i < scrambled.size(); ++i) {
    const std::uint8_t x = scrambled[i] ^ 0xA5;
    plain[i] = static_cast<std::uint8_t>((x << 4) | (x >> 4));
  }
  return utf16le_to_utf8(plain);
}

}  // namespace

login_request parse_login7(std::span<const std::uint8_t> payload) {
  if (payload.size() < fixed_size) throw protocol_error("LOGIN7 shorter than its fixed part");
  byte_reader r(payload);
  const std::uint32_t length = r.u32();
  if (length > payload.size()) throw protocol_error("LOGIN7 length exceeds the message");
  login_request login;
  login.tds_version = r.u32();
  login.odbc = (payload[25] & 0x02) != 0;  // OptionFlags2, after five DWORDs and OptionFlags1
  login.host = text_field(payload, 36);
  login.user = text_field(payload, 40);
  login.password = decode_password(field(payload, 44));
  login.app = text_field(payload, 48);
  login.database = text_field(payload, 68);
  return login;
}

}  // namespace tdsd
