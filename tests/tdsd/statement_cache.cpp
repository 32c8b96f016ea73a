#include "tests/tdsd/statement_cache.hpp"

#include <sqlite3.h>

namespace tdsd {

const rewrite_result& statement_cache::rewritten(const std::string& tsql) {
  if (const auto found = rewrites_.find(tsql); found != rewrites_.end()) return found->second;
  if (rewrites_.size() >= max_entries) rewrites_.clear();
  const rewrite_result& added = rewrites_.emplace(tsql, rewrite_tsql(tsql)).first->second;
  if (added.sql.find("temp.\"#") != std::string::npos) may_hold_temp_tables_ = true;
  return added;
}

sqlite3_stmt* statement_cache::find(const std::string& sql) const {
  const auto found = statements_.find(sql);
  return found == statements_.end() ? nullptr : found->second;
}

void statement_cache::keep(const std::string& sql, sqlite3_stmt* stmt) {
  if (statements_.size() >= max_entries) clear();
  const auto [it, inserted] = statements_.emplace(sql, stmt);
  if (!inserted) sqlite3_finalize(stmt);  // a statement kept already: not expected, never leaked
}

sqlite3_stmt* statement_cache::prepare(sqlite3* db, const std::string& sql) {
  if (auto* kept = find(sql)) return kept;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK || stmt == nullptr) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  keep(sql, stmt);
  return stmt;
}

void statement_cache::release(sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

const result_shape* statement_cache::shape(sqlite3_stmt* kept) const {
  const auto found = shapes_.find(kept);
  if (found == shapes_.end()) return nullptr;
  if (found->second.prepared_again != sqlite3_stmt_status(kept, SQLITE_STMTSTATUS_REPREPARE, 0)) return nullptr;
  return &found->second.shape;
}

const result_shape& statement_cache::note_shape(sqlite3_stmt* kept, result_shape shape) {
  auto& noted = shapes_[kept];
  noted.prepared_again = sqlite3_stmt_status(kept, SQLITE_STMTSTATUS_REPREPARE, 0);
  noted.shape = std::move(shape);
  return noted.shape;
}

void statement_cache::clear() {
  // The shapes first: a finalized statement's address can come back for another one.
  shapes_.clear();
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
}

}  // namespace tdsd
