#pragma once
// Where a tenant's database lives and how to log in. A pool is keyed by the target's
// key(): changing the server, port, database, user or the secret itself (through its
// fingerprint) yields a new key, so the old pool drains and a new one starts.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "conf/config.hpp"

namespace tds_pool {

/// Connection parameters of one tenant database.
struct connection_target {
    std::string server;
    std::uint16_t port = 1433;
    std::string database;
    std::string user;
    std::string password;  ///< never logged, never part of key() in clear text
    /// The tenant's own connection cap (registry MaxConnections, YAML max_connections);
    /// none: pools.max_size. Not part of key(): a changed cap resizes the pool live.
    std::optional<std::size_t> max_connections;
    /// How the connection is secured; part of key(): a changed setting starts a new pool.
    conf::tls_settings tls;

    /// "server:port/database;user;fingerprint;tls": identity of the pool serving this target.
    std::string key() const;
    /// "server:port", the string FreeTDS dbopen accepts without a freetds.conf entry.
    std::string address() const;
    /// Stable non-reversible 64-bit hash of the password, as 16 hex digits.
    std::string credential_fingerprint() const;
};

}  // namespace tds_pool
