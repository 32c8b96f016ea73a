#include "tests/tdsd/tokens.hpp"

#include "tests/tdsd/utf16.hpp"

namespace tdsd {
namespace {

constexpr std::string_view server_name = "tdsd";

// Starts a token with a USHORT length; returns where the length goes.
std::size_t begin_sized(byte_writer& w, std::uint8_t kind) {
  w.u8(kind);
  const std::size_t at = w.size();
  w.u16(0);
  return at;
}

void end_sized(byte_writer& w, std::size_t at) {
  w.patch_u16(at, static_cast<std::uint16_t>(w.size() - at - 2));
}

}  // namespace

void write_done(byte_writer& w, std::uint8_t kind, std::uint16_t status, std::uint16_t command,
                std::uint64_t rows) {
  w.u8(kind);
  w.u16(status);
  w.u16(command);
  w.u64(rows);
}

void write_envchange_text(byte_writer& w, std::uint8_t type, std::string_view new_value,
                          std::string_view old_value) {
  const auto at = begin_sized(w, 0xE3);
  w.u8(type);
  w.b_varchar(new_value);
  w.b_varchar(old_value);
  end_sized(w, at);
}

void write_envchange_bytes(byte_writer& w, std::uint8_t type, std::span<const std::uint8_t> new_value,
                           std::span<const std::uint8_t> old_value) {
  const auto at = begin_sized(w, 0xE3);
  w.u8(type);
  w.u8(static_cast<std::uint8_t>(new_value.size()));
  w.bytes(new_value);
  w.u8(static_cast<std::uint8_t>(old_value.size()));
  w.bytes(old_value);
  end_sized(w, at);
}

void write_message(byte_writer& w, std::uint8_t kind, const server_message& m) {
  const auto at = begin_sized(w, kind);
  w.u32(static_cast<std::uint32_t>(m.number));
  w.u8(m.state);
  w.u8(m.severity);
  w.us_varchar(m.text);
  w.b_varchar(server_name);
  w.b_varchar("");
  w.u32(1);
  end_sized(w, at);
}

void write_error_done(byte_writer& w, const server_message& m, std::uint8_t done_kind,
                      std::uint16_t extra_status) {
  write_message(w, token::error, m);
  write_done(w, done_kind, static_cast<std::uint16_t>(done_status::error | extra_status), 0, 0);
}

void write_login_ack(byte_writer& w) {
  const auto at = begin_sized(w, 0xAD);
  w.u8(1);  // interface: SQL_TSQL
  const std::uint8_t version[4] = {0x74, 0x00, 0x00, 0x04};
  w.bytes(std::span<const std::uint8_t>(version));
  w.b_varchar("Microsoft SQL Server");
  const std::uint8_t program_version[4] = {16, 0, 0x10, 0x00};
  w.bytes(std::span<const std::uint8_t>(program_version));
  end_sized(w, at);
}

void write_return_status(byte_writer& w, std::int32_t status) {
  w.u8(token::return_status);
  w.u32(static_cast<std::uint32_t>(status));
}

}  // namespace tdsd
