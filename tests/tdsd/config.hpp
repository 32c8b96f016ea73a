#pragma once
// tdsd's YAML configuration: listeners, logins, databases and start-up faults.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tdsd {

/// An address and port to listen on (port 0 = any free port).
struct endpoint_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
};

/// A SQL login: user, password and the databases it may open ("*" = all).
struct login_config {
  std::string user;
  std::string password;
  std::vector<std::string> databases;
  /// True when this login may open `database` (case-insensitive).
  bool may_open(std::string_view database) const;
};

/// One database: its SQLite file (":memory:" = private temp file) and init scripts.
struct database_config {
  std::string name;
  std::string file = ":memory:";
  std::vector<std::string> init;  // absolute paths
};

/// Faults of one database.
struct database_faults {
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds jitter{0};
  std::uint64_t drop_after_rows = 0;
  int drop_percent = 0;
  std::uint64_t cut_reply_bytes = 0;  ///< replies lose this many bytes at the end, still framed whole
  std::uint64_t fake_done_bytes = 0;  ///< as cut_reply_bytes, then a final DONE token is appended
};

/// Server-wide and per-database faults.
struct fault_config {
  bool refuse_logins = false;
  bool stall = false;
  std::map<std::string, database_faults> databases;  // key: upper-case database name
};

/// How tdsd answers a client's PRELOGIN ENCRYPTION byte (SQL Server's settings).
enum class tls_mode {
  off,       // no certificate: answer ENCRYPT_NOT_SUP, as a server without TLS does
  optional,  // a certificate, encryption when the client asks (or for LOGIN7 only)
  required,  // SQL Server's Force Encryption: a client that won't encrypt is refused
};

/// The server certificate and what to do with it (paths absolute once loaded).
struct tls_config {
  std::string cert_file;
  std::string key_file;
  tls_mode mode = tls_mode::off;
};

/// The whole configuration file.
struct server_config {
  endpoint_config listen;
  endpoint_config control;
  std::vector<login_config> logins;
  std::vector<database_config> databases;
  fault_config faults;
  tls_config tls;
  /// SQL Server's 'user options' server setting: the @@OPTIONS every session starts
  /// with. tdsd honours IMPLICIT_TRANSACTIONS (2); the other bits are only reported.
  int user_options = 0;
};

/// Loads and validates a config file; throws std::runtime_error "file:line:col: message".
server_config load_config(const std::string& path);

/// Parses `250ms`, `5s`, `2m` or `0`; throws std::invalid_argument otherwise.
std::chrono::milliseconds parse_duration(std::string_view text);

/// Upper-cases ASCII (database names are compared case-insensitively).
std::string upper(std::string_view text);

}  // namespace tdsd
