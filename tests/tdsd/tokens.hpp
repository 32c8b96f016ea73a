#pragma once
// Writers for the TDS reply tokens tdsd sends (DONE, ENVCHANGE, INFO/ERROR, LOGINACK, ...).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tests/tdsd/wire.hpp"

namespace tdsd {

/// Token bytes of the reply stream.
namespace token {
inline constexpr std::uint8_t done = 0xFD;
inline constexpr std::uint8_t done_proc = 0xFE;
inline constexpr std::uint8_t done_in_proc = 0xFF;
inline constexpr std::uint8_t error = 0xAA;
inline constexpr std::uint8_t info = 0xAB;
inline constexpr std::uint8_t return_status = 0x79;
inline constexpr std::uint8_t col_metadata = 0x81;
inline constexpr std::uint8_t row = 0xD1;
inline constexpr std::uint8_t nbc_row = 0xD2;
}  // namespace token

/// DONE status bits.
namespace done_status {
inline constexpr std::uint16_t final = 0x00;
inline constexpr std::uint16_t more = 0x01;
inline constexpr std::uint16_t error = 0x02;
inline constexpr std::uint16_t count = 0x10;
inline constexpr std::uint16_t attention = 0x20;
}  // namespace done_status

/// The collation announced at login and attached to every character column.
inline constexpr std::uint8_t default_collation[5] = {0x09, 0x04, 0xD0, 0x00, 0x34};

/// An error or informational message as SQL Server reports it.
struct server_message {
  std::int32_t number = 50000;
  std::uint8_t severity = 16;
  std::uint8_t state = 1;
  std::string text;
};

/// Writes DONE, DONEPROC or DONEINPROC (`kind`) with an 8-byte row count.
void write_done(byte_writer& w, std::uint8_t kind, std::uint16_t status, std::uint16_t command,
                std::uint64_t rows);

/// Writes an ENVCHANGE whose values are B_VARCHAR text (database, language, packet size).
void write_envchange_text(byte_writer& w, std::uint8_t type, std::string_view new_value,
                          std::string_view old_value);

/// Writes an ENVCHANGE whose values are B_VARBYTE (collation, transaction descriptors).
void write_envchange_bytes(byte_writer& w, std::uint8_t type, std::span<const std::uint8_t> new_value,
                           std::span<const std::uint8_t> old_value);

/// Writes an INFO (0xAB) or ERROR (0xAA) token.
void write_message(byte_writer& w, std::uint8_t kind, const server_message& m);

/// Writes ERROR followed by DONE with the error bit (the shape of a failed statement).
void write_error_done(byte_writer& w, const server_message& m, std::uint8_t done_kind = token::done,
                      std::uint16_t extra_status = 0);

/// Writes LOGINACK for TDS 7.4.
void write_login_ack(byte_writer& w);

/// Writes RETURNSTATUS.
void write_return_status(byte_writer& w, std::int32_t status);

}  // namespace tdsd
