#pragma once
// LOGIN7: the fields tdsd needs from a client's login record.
#include <cstdint>
#include <span>
#include <string>

namespace tdsd {

/// What a client asked for in LOGIN7.
struct login_request {
  std::uint32_t tds_version = 0;
  std::string host;
  std::string user;
  std::string password;
  std::string app;
  std::string database;
  /// OptionFlags2 fODBC: SQL Server then starts the session with TEXTSIZE unlimited
  /// (and ANSI defaults); FreeTDS and pytds set it, tedious does not.
  bool odbc = false;
};

/// Parses a LOGIN7 payload and decodes the password; throws protocol_error when malformed.
login_request parse_login7(std::span<const std::uint8_t> payload);

}  // namespace tdsd
