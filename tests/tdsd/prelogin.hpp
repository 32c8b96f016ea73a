#pragma once
// PRELOGIN: validate the client's option list, choose SQL Server's ENCRYPTION answer,
// and build the reply.
#include <cstdint>
#include <span>
#include <vector>

#include "tests/tdsd/config.hpp"

namespace tdsd {

/// PRELOGIN ENCRYPTION values (MS-TDS 2.2.6.5).
enum class encryption : std::uint8_t {
  off = 0x00,            // client: can encrypt, would rather not; server: LOGIN7 only
  on = 0x01,             // the whole session encrypted
  not_supported = 0x02,  // no TLS at all
  required = 0x03,       // server: the whole session encrypted, or no session
};

/// What the session does once its PRELOGIN reply is sent.
enum class tls_scope {
  none,           // plain TDS throughout
  login_only,     // TLS handshake, LOGIN7 through TLS, then plain TDS again
  whole_session,  // TLS handshake, then every packet inside TLS
  refuse,         // the client will not encrypt and the server requires it: close
};

/// The server's ENCRYPTION answer and what follows it.
struct encryption_choice {
  encryption answer = encryption::not_supported;
  tls_scope scope = tls_scope::none;
};

/// Checks the client's PRELOGIN option table; throws protocol_error when malformed.
void check_prelogin(std::span<const std::uint8_t> payload);

/// The client's ENCRYPTION value (NOT_SUP when the option is absent; the CLIENT_CERT
/// bit 0x80 is ignored); throws protocol_error on an unknown value.
encryption client_encryption(std::span<const std::uint8_t> payload);

/// SQL Server's answer to a client's ENCRYPTION value under `mode`.
encryption_choice negotiate_encryption(tls_mode mode, encryption client);

/// The PRELOGIN reply payload: VERSION, ENCRYPTION=`answer`, INSTOPT, THREADID, MARS.
std::vector<std::uint8_t> prelogin_reply(encryption answer = encryption::not_supported);

}  // namespace tdsd
