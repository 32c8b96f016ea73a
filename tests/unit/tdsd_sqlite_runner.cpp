#include "tests/unit/tdsd_sqlite_runner.hpp"

#include "tests/tdsd/sqlite_connection.hpp"

#include <stdexcept>

#include "tests/tdsd/tsql_rewrite.hpp"

namespace tdsd_test {

namespace {

void spid_function(sqlite3_context* ctx, int, sqlite3_value**) { sqlite3_result_int(ctx, 51); }

std::string column_text(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return "NULL";
  const auto* text = sqlite3_column_text(stmt, column);
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

}  // namespace

sqlite_db::sqlite_db() {
  if (sqlite3_open(":memory:", &db_) != SQLITE_OK) throw std::runtime_error("sqlite3_open");
  sqlite3_create_function(db_, "tdsd_spid", 0, SQLITE_UTF8, nullptr, spid_function, nullptr, nullptr);
  sqlite3_create_function(db_, "tdsd_sleep", 1, SQLITE_UTF8, this, sleep_function, nullptr, nullptr);
  tdsd::register_collations(db_);
}

sqlite_db::~sqlite_db() { sqlite3_close(db_); }

void sqlite_db::sleep_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* self = static_cast<sqlite_db*>(sqlite3_user_data(ctx));
  self->slept_ms_ = sqlite3_value_int64(argv[0]);
  sqlite3_result_int(ctx, 0);
}

rows sqlite_db::run(const std::string& sql) {
  rows last;
  const char* tail = sql.c_str();
  while (*tail != '\0') {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, tail, -1, &stmt, &tail) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    }
    if (stmt == nullptr) continue;  // only whitespace was left
    rows current;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) row.push_back(column_text(stmt, c));
      current.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    if (!current.empty()) last = std::move(current);
  }
  return last;
}

rows sqlite_db::run_tsql(const std::string& tsql) {
  const auto rewritten = tdsd::rewrite_tsql(tsql);
  if (rewritten.error) throw std::runtime_error(*rewritten.error + " for: " + tsql);
  return run(rewritten.sql);
}

}  // namespace tdsd_test
