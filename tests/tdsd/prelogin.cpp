#include "tests/tdsd/prelogin.hpp"

#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

constexpr std::uint8_t terminator = 0xFF;
constexpr std::uint8_t encrypt_not_supported = 0x02;

}  // namespace

void check_prelogin(std::span<const std::uint8_t> payload) {
  // Option entries are (token, BE offset, BE length); every range must lie inside the payload.
  std::size_t pos = 0;
  for (;;) {
    if (pos >= payload.size()) throw protocol_error("PRELOGIN without terminator");
    if (payload[pos] == terminator) return;
    if (pos + 5 > payload.size()) throw protocol_error("PRELOGIN option truncated");
    const std::size_t offset = (payload[pos + 1] << 8) | payload[pos + 2];
    const std::size_t length = (payload[pos + 3] << 8) | payload[pos + 4];
    if (offset + length > payload.size()) throw protocol_error("PRELOGIN option out of range");
    pos += 5;
  }
}

std::vector<std::uint8_t> prelogin_reply() {
  struct option {
    std::uint8_t token;
    std::vector<std::uint8_t> data;
  };
  const option options[] = {
      {0x00, {16, 0, 0x10, 0x00, 0, 0}},  // VERSION 16.0.4096, sub-build 0
      {0x01, {encrypt_not_supported}},
      {0x02, {0}},  // INSTOPT: default instance
      {0x03, {}},   // THREADID: empty
      {0x04, {0}},  // MARS off
  };
  std::vector<std::uint8_t> out;
  std::size_t data_offset = std::size(options) * 5 + 1;
  for (const auto& o : options) {
    out.push_back(o.token);
    out.push_back(static_cast<std::uint8_t>(data_offset >> 8));
    out.push_back(static_cast<std::uint8_t>(data_offset));
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(o.data.size()));
    data_offset += o.data.size();
  }
  out.push_back(terminator);
  for (const auto& o : options) out.insert(out.end(), o.data.begin(), o.data.end());
  return out;
}

}  // namespace tdsd
