#include "tests/tdsd/sqlite_connection.hpp"

#include "tests/tdsd/decimal_text.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

namespace tdsd {
namespace {

void spid_function(sqlite3_context* ctx, int, sqlite3_value**) {
  const auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  sqlite3_result_int(ctx, identity->spid);
}

// WAITFOR DELAY: sleeps on the client's cancel token so ATTENTION and shutdown wake it.
void sleep_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  const auto ms = std::max<sqlite3_int64>(0, sqlite3_value_int64(argv[0]));
  if (identity->cancel && !identity->cancel->sleep_for(std::chrono::milliseconds(ms))) {
    sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
    return;
  }
  sqlite3_result_int(ctx, 0);
}

// @@TRANCOUNT: SQLite has no nesting, so an open transaction counts 1.
void trancount_function(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_int(ctx, sqlite3_get_autocommit(sqlite3_context_db_handle(ctx)) == 0 ? 1 : 0);
}

// SET ROWCOUNT n: remembered for the session; the executor caps result sets with it.
void set_rowcount_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  identity->rowcount = std::max<sqlite3_int64>(0, sqlite3_value_int64(argv[0]));
  sqlite3_result_null(ctx);
}

// SET TEXTSIZE n: remembered for the session; the executor cuts (MAX) values with it.
void set_textsize_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  identity->textsize = textsize_setting(sqlite3_value_int64(argv[0]));
  sqlite3_result_null(ctx);
}

// @@OPTIONS: the session's option bits.
void options_function(sqlite3_context* ctx, int, sqlite3_value**) {
  const auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  sqlite3_result_int64(ctx, identity->options);
}

// SET IMPLICIT_TRANSACTIONS ON|OFF: the option's bit in the session's @@OPTIONS.
void set_implicit_transactions_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  if (sqlite3_value_int64(argv[0]) != 0) {
    identity->options |= implicit_transactions_option;
  } else {
    identity->options &= ~implicit_transactions_option;
  }
  sqlite3_result_null(ctx);
}

// @@TEXTSIZE: SQL Server shows an unlimited setting as -1.
void textsize_function(sqlite3_context* ctx, int, sqlite3_value**) {
  const auto* identity = static_cast<connection_identity*>(sqlite3_user_data(ctx));
  sqlite3_result_int64(ctx, identity->textsize);
}

// Polled by SQLite during long statements: a non-zero return aborts with SQLITE_INTERRUPT.
// Unlike sqlite3_interrupt alone, this cannot miss a cancel that lands between two steps.
// On the socket thread it also stops a request that outran its budget (inline_policy.hpp).
int progress_function(void* user) {
  auto* identity = static_cast<connection_identity*>(user);
  if (identity->inline_deadline != std::chrono::steady_clock::time_point{} &&
      std::chrono::steady_clock::now() >= identity->inline_deadline) {
    identity->over_budget = true;
    return 1;
  }
  return identity->cancel && identity->cancel->cancelled() ? 1 : 0;
}

// Exact numeric columns hold text digits (see tsql_ddl.cpp): compare them as numbers.
int decimal_collation(void*, int a_len, const void* a, int b_len, const void* b) {
  return compare_decimal_text(std::string_view(static_cast<const char*>(a), static_cast<std::size_t>(a_len)),
                              std::string_view(static_cast<const char*>(b), static_cast<std::size_t>(b_len)));
}

}  // namespace

void register_collations(sqlite3* db) {
  sqlite3_create_collation(db, "TDS_DECIMAL", SQLITE_UTF8, nullptr, decimal_collation);
}

std::int64_t login_textsize(bool odbc) { return odbc ? -1 : 4096; }

std::int64_t textsize_setting(std::int64_t n) {
  if (n == 0) return 4096;
  if (n < 0) return -1;
  return std::min<std::int64_t>(n, 2147483647);
}

sqlite_connection::sqlite_connection(const std::string& path, connection_identity* identity,
                                     file_sharing sharing) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  // "unix-excl" locks the file once for the process and keeps the WAL index and its locks
  // in memory shared by the process's connections: a read no longer takes and drops an
  // fcntl lock (two system calls of about six per single-row query).
  const char* vfs = sharing == file_sharing::this_process ? "unix-excl" : nullptr;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, vfs) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error(fmt::format("cannot open {}: {}", path, why));
  }
  sqlite3_busy_timeout(db_, 5000);
  sqlite3_extended_result_codes(db_, 1);
  exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
  sqlite3_create_function(db_, "tdsd_spid", 0, SQLITE_UTF8, identity, spid_function, nullptr, nullptr);
  sqlite3_progress_handler(db_, 1000, progress_function, identity);
  sqlite3_create_function(db_, "tdsd_sleep", 1, SQLITE_UTF8, identity, sleep_function, nullptr, nullptr);
  sqlite3_create_function(db_, "tdsd_trancount", 0, SQLITE_UTF8, identity, trancount_function, nullptr, nullptr);
  sqlite3_create_function(db_, "tdsd_set_rowcount", 1, SQLITE_UTF8, identity, set_rowcount_function, nullptr,
                          nullptr);
  sqlite3_create_function(db_, "tdsd_set_textsize", 1, SQLITE_UTF8, identity, set_textsize_function, nullptr,
                          nullptr);
  register_collations(db_);
  sqlite3_create_function(db_, "tdsd_textsize", 0, SQLITE_UTF8, identity, textsize_function, nullptr, nullptr);
  sqlite3_create_function(db_, "tdsd_options", 0, SQLITE_UTF8, identity, options_function, nullptr, nullptr);
  sqlite3_create_function(db_, "tdsd_set_implicit_transactions", 1, SQLITE_UTF8, identity,
                          set_implicit_transactions_function, nullptr, nullptr);
}

sqlite_connection::~sqlite_connection() {
  cache_.clear();  // its statements first: the handle closes only once none is left
  sqlite3_close_v2(db_);
}

void sqlite_connection::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw std::runtime_error(why);
  }
}

}  // namespace tdsd
