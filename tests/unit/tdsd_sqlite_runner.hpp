#pragma once
// Runs rewritten SQL on an in-memory SQLite database, so the rewriter's tests prove that
// SQLite accepts what it produces and computes the expected result.
#include <sqlite3.h>

#include <string>
#include <vector>

namespace tdsd_test {

/// The rows of the last statement that produced any, each value as text ("NULL" for NULL).
using rows = std::vector<std::vector<std::string>>;

/// An in-memory database with tdsd's functions: tdsd_spid() is 51, tdsd_sleep(ms)
/// records the requested delay instead of sleeping.
class sqlite_db {
 public:
  sqlite_db();
  ~sqlite_db();
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  /// Runs every statement of `sql`; throws std::runtime_error with SQLite's message.
  rows run(const std::string& sql);

  /// Rewrites `tsql` (which must succeed) and runs the result.
  rows run_tsql(const std::string& tsql);

  /// The last delay passed to tdsd_sleep, in milliseconds (-1: never called).
  long long slept_ms() const { return slept_ms_; }

 private:
  static void sleep_function(sqlite3_context* ctx, int argc, sqlite3_value** argv);

  sqlite3* db_ = nullptr;
  long long slept_ms_ = -1;
};

}  // namespace tdsd_test
