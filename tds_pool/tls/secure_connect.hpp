#pragma once
// The gateway's side of an encrypted TDS 7.x connection, up to a verified TLS session:
// connect, send a PRELOGIN asking for encryption, refuse a server that offers none, run
// the TLS handshake inside PRELOGIN packets and check the certificate. FreeTDS 1.3.17's
// db-lib cannot be told per login to encrypt or which name to verify, so the gateway
// does this part itself and lets FreeTDS speak plain TDS through the relay (tls_relay).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tds_pool/connection_target.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/tls/deadline_socket.hpp"
#include "tds_pool/tls/tls_channel.hpp"

namespace tds_pool::tls {

/// A server connection whose TLS session is established (and verified, unless the
/// target trusts the server's certificate).
struct secured_server {
    deadline_socket socket;
    tls_channel channel;
    /// The server's PRELOGIN answer as FreeTDS must see it: one packet whose ENCRYPTION
    /// says NOT_SUP, since FreeTDS's side of the relay is plain.
    std::vector<std::uint8_t> prelogin_for_client;
};

/// Connects to `target` and secures the session by `until`. Errors: tenant_db_unavailable
/// (unreachable, not TDS, timed out), tls_required_not_offered, tls_certificate_rejected
/// and tls_handshake_failed, each with a message naming the server and the reason.
std::variant<secured_server, db_error> secure_connect(const connection_target& target, deadline until);

}  // namespace tds_pool::tls
