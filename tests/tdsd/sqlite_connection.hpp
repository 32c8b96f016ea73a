#pragma once
// A client's own SQLite connection: WAL, busy timeout, foreign keys, tdsd_spid/tdsd_sleep,
// tdsd_trancount (@@TRANCOUNT), tdsd_set_rowcount (SET ROWCOUNT), tdsd_set_textsize
// (SET TEXTSIZE), tdsd_textsize (@@TEXTSIZE), tdsd_options (@@OPTIONS) and
// tdsd_set_implicit_transactions (SET IMPLICIT_TRANSACTIONS).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tests/tdsd/cancel_token.hpp"
#include "tests/tdsd/statement_cache.hpp"

struct sqlite3;

namespace tdsd {

/// Registers the collations the T-SQL rewrite names (TDS_DECIMAL for exact numerics
/// stored as text) on a SQLite connection.
void register_collations(sqlite3* db);

/// What the SQL functions registered on a connection need to know about their client.
struct connection_identity {
  int spid = 0;
  cancel_token* cancel = nullptr;
  std::int64_t rowcount = 0;  ///< SET ROWCOUNT: rows a result set may hold (0 = all)
  /// SET TEXTSIZE: bytes of a (MAX) value sent; -1 = whole values.
  std::int64_t textsize = -1;
  /// What the login left (login_textsize) and a connection reset restores.
  std::int64_t login_textsize = -1;
  /// @@OPTIONS: the server's user_options at login, then SET IMPLICIT_TRANSACTIONS.
  std::int64_t options = 0;
  std::int64_t login_options = 0;
  /// While a request runs on the socket thread (inline_policy.hpp): when it must stop;
  /// the epoch when it runs on a worker (no limit).
  std::chrono::steady_clock::time_point inline_deadline{};
  /// Set by the progress handler when it stopped a statement at inline_deadline.
  bool over_budget = false;
};

/// The @@OPTIONS bit of SET IMPLICIT_TRANSACTIONS ON: a data statement run outside a
/// transaction opens one, which stays open until COMMIT or ROLLBACK.
inline constexpr std::int64_t implicit_transactions_option = 2;

/// The TEXTSIZE a session starts with, as in SQL Server: unlimited after a LOGIN7 with
/// fODBC (TDS 7.3 and later), else the documented default of 4096 bytes.
std::int64_t login_textsize(bool odbc);

/// What SET TEXTSIZE n leaves in the session: 0 is the default of 4096 bytes, -1 (any
/// negative) unlimited, at most 2147483647.
std::int64_t textsize_setting(std::int64_t n);

/// Who else may open a database file.
enum class file_sharing {
  processes,     // a configured file: other programs may open it too (fcntl locks)
  this_process,  // a ":memory:" temp file only tdsd knows: locks between its own connections only
};

/// Owns an open sqlite3 handle; closed on destruction.
class sqlite_connection {
 public:
  /// Opens `path` (WAL, busy_timeout 5 s, foreign keys on) and registers tdsd_spid and
  /// tdsd_sleep for `identity`, which must outlive the connection; throws on failure.
  sqlite_connection(const std::string& path, connection_identity* identity,
                    file_sharing sharing = file_sharing::processes);
  ~sqlite_connection();
  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;

  /// The raw handle.
  sqlite3* get() const { return db_; }
  /// What this connection keeps prepared between requests.
  statement_cache& cache() { return cache_; }
  /// Runs SQL without results; throws std::runtime_error with SQLite's message.
  void exec(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
  statement_cache cache_;
};

}  // namespace tdsd
