#pragma once
// What a client connection keeps between its requests: the SQLite rewrite of each T-SQL
// text it sent and the prepared statement of each single-statement rewrite. Clients (the
// gateway's pools above all) send the same few texts over and over; rewriting and
// preparing them again cost more CPU than running them. Bounded: when a map is full it is
// emptied. One client's requests run one at a time, so no lock is needed.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/tdsd/column_type.hpp"
#include "tests/tdsd/tsql_rewrite.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tdsd {

/// A statement's result columns, as the executor reads them from SQLite.
struct result_shape {
  std::vector<std::string> names;
  std::vector<std::optional<column_type>> declared;      ///< nullopt: an expression
  std::optional<std::vector<column_type>> all_declared;  ///< every declared type, when none is missing
};

class statement_cache {
 public:
  statement_cache() = default;
  ~statement_cache() { clear(); }
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  /// rewrite_tsql(tsql), kept for the next time; valid until the next call.
  const rewrite_result& rewritten(const std::string& tsql);

  /// The statement kept for `sql` (reset, no bindings), or nullptr.
  sqlite3_stmt* find(const std::string& sql) const;
  /// Keeps `stmt`, prepared from `sql` on this connection; the cache finalizes it.
  void keep(const std::string& sql, sqlite3_stmt* stmt);
  /// The kept statement for `sql` (one SQLite statement), prepared on `db` and kept the
  /// first time; nullptr when it does not prepare. release() it after use.
  sqlite3_stmt* prepare(sqlite3* db, const std::string& sql);
  /// Resets a kept statement after use so it holds no read transaction and no values.
  static void release(sqlite3_stmt* stmt);

  /// The result shape noted for a kept statement, or nullptr (none yet, or SQLite has
  /// prepared it again since: a schema change can change its columns).
  const result_shape* shape(sqlite3_stmt* kept) const;
  /// Notes the result shape of a kept statement (reading it means parsing every
  /// column's declared type: more work than a small query's run).
  const result_shape& note_shape(sqlite3_stmt* kept, result_shape shape);

  /// Finalizes every kept statement (before the connection closes).
  void clear();

  /// False while no rewrite this connection ran named a #temp table (`temp."#...`), so
  /// none can exist: sp_executesql then skips listing them before and after (two SQLite
  /// statements per request otherwise). Stays true once set.
  bool may_hold_temp_tables() const { return may_hold_temp_tables_; }

 private:
  static constexpr std::size_t max_entries = 256;
  std::unordered_map<std::string, rewrite_result> rewrites_;
  struct noted_shape {
    int prepared_again = 0;  ///< SQLITE_STMTSTATUS_REPREPARE when noted
    result_shape shape;
  };
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  std::unordered_map<sqlite3_stmt*, noted_shape> shapes_;  ///< of statements_ only
  bool may_hold_temp_tables_ = false;
};

}  // namespace tdsd
