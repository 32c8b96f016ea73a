#include "tests/tdsd/prelogin.hpp"

#include <fmt/format.h>

#include <optional>

#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

constexpr std::uint8_t terminator = 0xFF;
constexpr std::uint8_t encryption_token = 0x01;
constexpr std::uint8_t client_cert_bit = 0x80;

// Walks the option entries (token, BE offset, BE length), checking every range lies
// inside the payload; returns the data of `wanted` if present.
std::optional<std::span<const std::uint8_t>> walk_options(std::span<const std::uint8_t> payload,
                                                          std::uint8_t wanted) {
  std::optional<std::span<const std::uint8_t>> found;
  std::size_t pos = 0;
  for (;;) {
    if (pos >= payload.size()) throw protocol_error("PRELOGIN without terminator");
    if (payload[pos] == terminator) return found;
    if (pos + 5 > payload.size()) throw protocol_error("PRELOGIN option truncated");
    const std::size_t offset = (payload[pos + 1] << 8) | payload[pos + 2];
    const std::size_t length = (payload[pos + 3] << 8) | payload[pos + 4];
    if (offset + length > payload.size()) throw protocol_error("PRELOGIN option out of range");
    if (payload[pos] == wanted && !found) found = payload.subspan(offset, length);
    pos += 5;
  }
}

encryption_choice choose_optional(encryption client) {
  switch (client) {
    case encryption::off:
      return {encryption::off, tls_scope::login_only};
    case encryption::on:
    case encryption::required:
      return {encryption::on, tls_scope::whole_session};
    case encryption::not_supported:
      break;
  }
  return {encryption::not_supported, tls_scope::none};
}

// Force Encryption: REQ tells a client that offered OFF to encrypt everything; a client
// that cannot encrypt gets REQ too (so it can say why) and then the connection closes.
encryption_choice choose_required(encryption client) {
  switch (client) {
    case encryption::on:
    case encryption::required:
      return {encryption::on, tls_scope::whole_session};
    case encryption::off:
      return {encryption::required, tls_scope::whole_session};
    case encryption::not_supported:
      break;
  }
  return {encryption::required, tls_scope::refuse};
}

}  // namespace

// The terminator is never an option, so this walk only checks the table.
void check_prelogin(std::span<const std::uint8_t> payload) { walk_options(payload, terminator); }

encryption client_encryption(std::span<const std::uint8_t> payload) {
  const auto data = walk_options(payload, encryption_token);
  if (!data || data->empty()) return encryption::not_supported;
  const std::uint8_t value = (*data)[0] & static_cast<std::uint8_t>(~client_cert_bit);
  if (value > static_cast<std::uint8_t>(encryption::required)) {
    throw protocol_error(fmt::format("PRELOGIN ENCRYPTION value 0x{:02x} unknown", (*data)[0]));
  }
  return static_cast<encryption>(value);
}

encryption_choice negotiate_encryption(tls_mode mode, encryption client) {
  switch (mode) {
    case tls_mode::optional:
      return choose_optional(client);
    case tls_mode::required:
      return choose_required(client);
    case tls_mode::off:
      break;
  }
  return {encryption::not_supported, tls_scope::none};
}

std::vector<std::uint8_t> prelogin_reply(encryption answer) {
  struct option {
    std::uint8_t token;
    std::vector<std::uint8_t> data;
  };
  const option options[] = {
      {0x00, {16, 0, 0x10, 0x00, 0, 0}},  // VERSION 16.0.4096, sub-build 0
      {encryption_token, {static_cast<std::uint8_t>(answer)}},
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
