#include "tests/tdsd/inline_policy.hpp"

#include <sqlite3.h>

#include <string_view>

#include "tests/tdsd/sql_errors.hpp"

namespace tdsd {
namespace {

bool is_transaction_control(std::string_view sql) {
  const auto keyword = first_keyword(sql);
  return keyword == "BEGIN" || keyword == "COMMIT" || keyword == "END" || keyword == "ROLLBACK" ||
         keyword == "SAVEPOINT" || keyword == "RELEASE";
}

bool statement_runs_inline(const statement_cache& cache, const rewritten_statement& statement) {
  sqlite3_stmt* kept = cache.find(statement.sql);
  if (kept == nullptr || !sqlite3_stmt_readonly(kept)) return false;
  return !is_transaction_control(statement.sql) && statement.sql.find("tdsd_sleep") == std::string::npos;
}

}  // namespace

bool runs_inline(sqlite3* db, const exec_request& req) {
  if ((req.session->options & implicit_transactions_option) != 0) return false;
  if (req.reset_connection && sqlite3_get_autocommit(db) == 0) return false;
  const rewrite_result& rewritten = req.cache->rewritten(req.tsql);
  if (rewritten.error) return true;  // answered with an error, nothing runs
  for (const auto& statement : rewritten.statements) {
    if (!statement_runs_inline(*req.cache, statement)) return false;
  }
  return true;
}

std::optional<exec_outcome> execute_inline(sqlite3* db, cancel_token& cancel, const exec_request& req) {
  connection_identity& session = *req.session;
  const connection_identity before = session;
  const transaction_ids transactions_before = req.transactions ? *req.transactions : transaction_ids{};
  session.over_budget = false;
  session.inline_deadline = std::chrono::steady_clock::now() + inline_budget;
  exec_outcome outcome = execute(db, cancel, req);
  session.inline_deadline = {};
  if (!session.over_budget) return outcome;
  // Cut off: as if it never ran (it only read), then the caller hands it to a worker.
  session.over_budget = false;
  session.rowcount = before.rowcount;
  session.textsize = before.textsize;
  session.options = before.options;
  if (req.transactions) *req.transactions = transactions_before;
  return std::nullopt;
}

}  // namespace tdsd
