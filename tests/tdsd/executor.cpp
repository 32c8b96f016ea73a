#include "tests/tdsd/executor.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "tests/tdsd/column_type.hpp"
#include "tests/tdsd/config.hpp"
#include "tests/tdsd/sql_errors.hpp"
#include "tests/tdsd/tokens.hpp"
#include "tests/tdsd/tsql_rewrite.hpp"

namespace tdsd {
namespace {

// A small reply fits in one allocation, a large one grows from here in fewer steps.
constexpr std::size_t initial_reply_bytes = 4096;

struct done_info {
  std::uint16_t status = 0;
  std::uint16_t command = 0;
  std::uint64_t rows = 0;
};

struct stmt_deleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_deleter>;

// The CAST target types of one rewritten statement's result columns.
using cast_types = std::vector<std::optional<std::string>>;

// The result of stepping one statement to completion.
struct statement_result {
  bool has_columns = false;
  const result_shape* shape = nullptr;
  std::vector<std::vector<sql_value>> rows;
  std::optional<server_message> error;
  bool cancelled = false;
};

// Reads column i of the current row into `v`, reusing its text buffer (a streamed result
// reads every row into the same values). Through the column's sqlite3_value: one column
// lookup per cell where sqlite3_column_type, _text and _bytes make one each (the value is
// "unprotected", which only matters to a connection shared between threads; a session's
// connection is used by one thread at a time).
void read_column(sqlite3_stmt* s, int i, sql_value& v) {
  sqlite3_value* cell = sqlite3_column_value(s, i);
  switch (sqlite3_value_type(cell)) {
    case SQLITE_INTEGER:
      v.type = sql_value::kind::integer;
      v.integer = sqlite3_value_int64(cell);
      return;
    case SQLITE_FLOAT:
      v.type = sql_value::kind::real;
      v.real = sqlite3_value_double(cell);
      return;
    case SQLITE_TEXT:
      // Text before its size: sqlite3_value_bytes counts the text form.
      v.type = sql_value::kind::text;
      v.bytes.assign(reinterpret_cast<const char*>(sqlite3_value_text(cell)),
                     static_cast<std::size_t>(sqlite3_value_bytes(cell)));
      return;
    case SQLITE_BLOB: {
      v.type = sql_value::kind::blob;
      const auto* p = static_cast<const char*>(sqlite3_value_blob(cell));
      v.bytes.assign(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(cell)));
      return;
    }
    default:
      v.type = sql_value::kind::null;
      return;
  }
}

// Case-insensitive (ASCII), as T-SQL compares parameter names; no copies (once per
// parameter per request).
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

std::optional<server_message> bind_params(sqlite3_stmt* s, const std::vector<rpc_param>& params) {
  const int count = sqlite3_bind_parameter_count(s);
  for (int i = 1; i <= count; ++i) {
    const char* raw = sqlite3_bind_parameter_name(s, i);
    const std::string_view name = raw ? raw : "?";
    const rpc_param* found = nullptr;
    for (const auto& p : params) {
      if (!p.name.empty() && same_name(p.name, name)) found = &p;
    }
    if (!found) return undeclared_variable(std::string(name));
    const auto& v = found->value;
    switch (v.type) {
      case sql_value::kind::integer: sqlite3_bind_int64(s, i, v.integer); break;
      case sql_value::kind::real: sqlite3_bind_double(s, i, v.real); break;
      case sql_value::kind::text:
        sqlite3_bind_text64(s, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
      case sql_value::kind::blob: sqlite3_bind_blob64(s, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT); break;
      case sql_value::kind::null: sqlite3_bind_null(s, i); break;
    }
  }
  return std::nullopt;
}

bool identifier_like(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || u >= 0x80)) return false;
  }
  return !same_name(name, "NULL") && !same_name(name, "TRUE") && !same_name(name, "FALSE");
}

// SQL Server names an unaliased expression "" where SQLite uses its text ("count(*)").
// An expression's name is kept when it reads like an alias: a plain identifier, or one
// the statement spells quoted ("Open Tickets").
std::string column_name(sqlite3_stmt* s, int i) {
  const char* raw = sqlite3_column_name(s, i);
  const std::string name = raw ? raw : "";
  if (sqlite3_column_table_name(s, i) != nullptr || identifier_like(name)) return name;
  const std::string_view sql = sqlite3_sql(s);
  const bool quoted = sql.find('"' + name + '"') != std::string_view::npos ||
                      sql.find('\'' + name + '\'') != std::string_view::npos;
  return quoted ? name : std::string();
}

// A column's declared type: a table column's own, or the target of the top-level CAST
// it was written as (SQLite declares no type for an expression).
std::optional<column_type> declared_type(sqlite3_stmt* s, int i, const cast_types& casts) {
  const auto index = static_cast<std::size_t>(i);
  if (index < casts.size() && casts[index]) return type_from_declaration(*casts[index]);
  const char* decl = sqlite3_column_decltype(s, i);
  return decl ? type_from_declaration(decl) : std::nullopt;
}

result_shape shape_of(sqlite3_stmt* s, const cast_types& casts) {
  result_shape shape;
  const int columns = sqlite3_column_count(s);
  std::vector<column_type> all;
  for (int i = 0; i < columns; ++i) {
    shape.names.push_back(column_name(s, i));
    shape.declared.push_back(declared_type(s, i, casts));
    if (shape.declared.back()) all.push_back(*shape.declared.back());
  }
  if (all.size() == shape.declared.size()) shape.all_declared = std::move(all);
  return shape;
}

// The shape of `s`'s result: noted with the statement when the connection keeps it
// (`kept_by`), else read into `scratch`.
const result_shape& shape_for(sqlite3_stmt* s, const cast_types& casts, statement_cache* kept_by,
                              result_shape& scratch) {
  if (!kept_by) return scratch = shape_of(s, casts);
  if (const auto* noted = kept_by->shape(s)) return *noted;
  return kept_by->note_shape(s, shape_of(s, casts));
}

// What one step of a statement came to.
enum class step_outcome { row, done, cancelled, failed };

// Steps `s` once unless the request was cancelled; `error` is set when it failed.
step_outcome step_once(sqlite3* db, sqlite3_stmt* s, cancel_token& cancel, std::optional<server_message>& error) {
  if (cancel.cancelled()) return step_outcome::cancelled;
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return step_outcome::row;
  if (rc == SQLITE_DONE) return step_outcome::done;
  if ((rc & 0xFF) == SQLITE_INTERRUPT || cancel.cancelled()) return step_outcome::cancelled;
  error = map_sqlite_error(db, sqlite3_sql(s));
  return step_outcome::failed;
}

// `max_rows` is SET ROWCOUNT (0 = no cap).
statement_result step_all(sqlite3* db, sqlite3_stmt* s, cancel_token& cancel, std::int64_t max_rows,
                          const result_shape& shape) {
  statement_result out;
  const int columns = sqlite3_column_count(s);
  out.has_columns = columns > 0;
  out.shape = &shape;
  for (;;) {
    switch (step_once(db, s, cancel, out.error)) {
      case step_outcome::row:
        break;
      case step_outcome::cancelled:
        out.cancelled = true;
        return out;
      case step_outcome::done:
      case step_outcome::failed:
        return out;
    }
    if (max_rows > 0 && static_cast<std::int64_t>(out.rows.size()) >= max_rows) return out;
    auto& row = out.rows.emplace_back(static_cast<std::size_t>(columns));
    for (int i = 0; i < columns; ++i) read_column(s, i, row[i]);
  }
}

std::uint16_t command_of(const std::string& keyword) {
  if (keyword == "SELECT" || keyword == "WITH" || keyword == "VALUES") return 0xC1;
  if (keyword == "INSERT" || keyword == "REPLACE") return 0xC3;
  if (keyword == "DELETE") return 0xC4;
  if (keyword == "UPDATE") return 0xC5;
  return 0;
}

// Builds the reply of one request; DONE tokens are written one statement late so the
// last one can go out without the MORE bit.
class reply_builder {
 public:
  reply_builder(exec_outcome& out, const exec_request& req) : out_(out), req_(req) {}

  void statement_done(done_info d) {
    flush(true);
    set_pending(d);
  }

  // A token that belongs before the current statement's DONE (e.g. a transaction ENVCHANGE).
  void envchange(std::uint8_t type, std::uint64_t new_id, std::uint64_t old_id) {
    flush(true);
    const auto bytes_of = [](std::uint64_t id) {
      std::vector<std::uint8_t> b;
      for (int i = 0; i < 8 && id != 0; ++i) b.push_back(static_cast<std::uint8_t>(id >> (8 * i)));
      if (!b.empty()) b.resize(8, 0);
      return b;
    };
    write_envchange_bytes(out_.tokens, type, bytes_of(new_id), bytes_of(old_id));
  }

  void error(const server_message& m) {
    flush(true);
    out_.failed = true;
    write_message(out_.tokens, token::error, m);
    set_pending(done_info{done_status::error, 0, 0});
  }

  // Writes COLMETADATA and rows; returns false when the drop fault cut the result short.
  bool result_set(const statement_result& r) {
    std::vector<column_type> types;
    for (std::size_t i = 0; i < r.shape->names.size(); ++i) {
      types.push_back(settle_column_type(r.shape->declared[i], r.rows, i));
    }
    begin_result(r.shape->names, types);
    for (const auto& row : r.rows) {
      if (!add_row(types, row)) return false;
    }
    end_result();
    return true;
  }

  // A result written as it is read: begin_result, add_row per row, then end_result or,
  // when it cannot be finished, discard_result (the reply as it was before begin_result).
  void begin_result(const std::vector<std::string>& names, const std::vector<column_type>& types) {
    flush(true);
    result_start_ = out_.tokens.size();
    rows_sent_ = 0;
    write_columns(names, types);
  }

  // False when the drop fault cuts the result short here (the reply ends unfinished).
  bool add_row(const std::vector<column_type>& types, const std::vector<sql_value>& row) {
    if (req_.drop_after_rows != 0 && rows_sent_ == req_.drop_after_rows) {
      out_.drop = true;
      return false;
    }
    write_row(types, row);
    ++rows_sent_;
    return true;
  }

  void end_result() { set_pending(done_info{done_status::count, 0xC1, rows_sent_}); }

  void discard_result() { out_.tokens.data().resize(result_start_); }

  void finish() {
    if (req_.in_proc) {
      flush(true);
      write_return_status(out_.tokens, 0);
      write_done(out_.tokens, token::done_proc, out_.failed ? done_status::error : done_status::final, 0, 0);
    } else {
      if (!has_pending_) set_pending(done_info{});
      flush(false);
    }
  }

 private:
  void flush(bool more) {
    if (!has_pending_) return;
    const auto kind = req_.in_proc ? token::done_in_proc : token::done;
    write_done(out_.tokens, kind, static_cast<std::uint16_t>(pending_.status | (more ? done_status::more : 0)),
               pending_.command, pending_.rows);
    has_pending_ = false;
  }

  void set_pending(done_info d) {
    pending_ = d;
    has_pending_ = true;
  }

  void write_columns(const std::vector<std::string>& names, const std::vector<column_type>& types) {
    auto& w = out_.tokens;
    w.u8(token::col_metadata);
    w.u16(static_cast<std::uint16_t>(names.size()));
    for (std::size_t i = 0; i < names.size(); ++i) {
      w.u32(0);       // user type
      w.u16(0x0001);  // flags: nullable
      write_type_info(w, types[i]);
      w.b_varchar(names[i]);
    }
  }

  void write_row(const std::vector<column_type>& types, const std::vector<sql_value>& row) {
    auto& w = out_.tokens;
    // Whether a cell goes out as NULL is learnt while writing it (for dates and decimals
    // it means parsing the text, once); the bitmap is reused from row to row.
    row_nulls_.assign((types.size() + 7) / 8, 0);
    const std::size_t start = w.size();
    w.u8(token::row);
    bool any_null = false;
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (!write_value(w, types[i], row[i], text_size())) {
        row_nulls_[i / 8] = static_cast<std::uint8_t>(row_nulls_[i / 8] | (1u << (i % 8)));
        any_null = true;
      }
    }
    if (any_null) {
      // ROW would need a per-type NULL spelling; NBCROW's bitmap covers every type alike.
      auto& bytes = w.data();
      bytes[start] = token::nbc_row;
      bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(start) + 1, row_nulls_.begin(), row_nulls_.end());
    }
  }

  // SET TEXTSIZE as it stands now: a SET earlier in the batch counts.
  std::uint64_t text_size() const {
    if (!req_.session || req_.session->textsize < 0) return unlimited_text_size;
    return static_cast<std::uint64_t>(req_.session->textsize);
  }

  exec_outcome& out_;
  const exec_request& req_;
  std::vector<std::uint8_t> row_nulls_;  ///< write_row's NULL bitmap
  std::size_t result_start_ = 0;         ///< where the streamed result's COLMETADATA begins
  std::uint64_t rows_sent_ = 0;
  done_info pending_;
  bool has_pending_ = false;  // a plain flag: g++ 12 warns falsely on std::optional here
};

// How a streamed result ended.
enum class stream_end { whole, widened, stopped, failed };

bool row_fits(const std::vector<column_type>& types, const std::vector<sql_value>& row) {
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (!fits_column_type(types[i], row[i])) return false;
  }
  return true;
}

// Writes a result row by row as SQLite steps, typed as declared, holding one row at a
// time. A value its declared type cannot carry (SQLite does not enforce lengths) ends it
// as `widened` with the reply as before, for the caller to run the statement again and
// type the columns from all their values; so only read-only statements come here.
stream_end stream_result(sqlite3* db, sqlite3_stmt* s, const result_shape& shape,
                         const std::vector<column_type>& types, cancel_token& cancel, std::int64_t max_rows,
                         reply_builder& reply, std::optional<server_message>& error) {
  reply.begin_result(shape.names, types);
  std::vector<sql_value> row(types.size());
  for (std::int64_t count = 0; max_rows <= 0 || count < max_rows; ++count) {
    const auto step = step_once(db, s, cancel, error);
    if (step == step_outcome::done) break;
    if (step != step_outcome::row) {
      reply.discard_result();
      return step == step_outcome::cancelled ? stream_end::stopped : stream_end::failed;
    }
    for (std::size_t i = 0; i < row.size(); ++i) read_column(s, static_cast<int>(i), row[i]);
    if (!row_fits(types, row)) {
      reply.discard_result();
      return stream_end::widened;
    }
    if (!reply.add_row(types, row)) return stream_end::stopped;
  }
  reply.end_result();
  return stream_end::whole;
}

// BEGIN / COMMIT / ROLLBACK in SQL change SQLite's transaction state; SQL Server tells
// the client with ENVCHANGE 8 (begin), 9 (commit) or 10 (rollback), as for 0x0E requests.
void announce_transaction_change(sqlite3* db, bool was_open, sqlite3_stmt* s, const exec_request& req,
                                 reply_builder& reply) {
  if (!req.transactions) return;
  const bool open = sqlite3_get_autocommit(db) == 0;
  auto& ids = *req.transactions;
  if (open && !was_open) {
    ids.current = ids.next++;
    reply.envchange(8, ids.current, 0);
  } else if (!open && was_open) {
    const bool rollback = first_keyword(sqlite3_sql(s)) == "ROLLBACK";
    reply.envchange(rollback ? 10 : 9, 0, ids.current);
    ids.current = 0;
  }
}

// Under SET IMPLICIT_TRANSACTIONS ON, SQL Server opens a transaction for a statement that
// reads or changes a table when none is open (a SELECT without FROM opens none).
bool opens_transaction_implicitly(sqlite3* db, sqlite3_stmt* s, const exec_request& req) {
  if (!req.session || (req.session->options & implicit_transactions_option) == 0) return false;
  if (sqlite3_get_autocommit(db) == 0) return false;
  const std::string_view sql = sqlite3_sql(s);
  if (is_set_option(sql)) return false;
  const auto keyword = first_keyword(sql);
  if (keyword == "SELECT" || keyword == "WITH") return upper(sql).find("FROM") != std::string::npos;
  static constexpr std::string_view changes[] = {"INSERT", "REPLACE", "UPDATE", "DELETE",
                                                 "CREATE", "DROP",    "ALTER"};
  return std::find(std::begin(changes), std::end(changes), keyword) != std::end(changes);
}

// As in SQL Server, a constraint violation ends only its statement; other errors end the batch.
bool batch_goes_on_after(const server_message& error) {
  const int n = error.number;
  return n == 2627 || n == 547 || n == 515;
}

// Streams the result of a read-only statement whose columns all declare a type (a table's
// SELECT, the common case: no rows kept, no second pass over them). Returns whether the
// batch goes on, or nullopt when it was not streamed: the statement is then as it was
// before its first step, and any transaction change already announced.
std::optional<bool> run_streamed(sqlite3* db, sqlite3_stmt* s, const result_shape& shape, bool was_open,
                                 std::int64_t max_rows, cancel_token& cancel, const exec_request& req,
                                 reply_builder& reply, exec_outcome& out) {
  const auto& types = shape.all_declared;
  if (shape.names.empty() || !types || !sqlite3_stmt_readonly(s)) return std::nullopt;
  // A read-only statement changes no transaction state: the announcement (of an implicit
  // BEGIN) may go before its rows, where the materializing path puts it too.
  announce_transaction_change(db, was_open, s, req, reply);
  std::optional<server_message> error;
  switch (stream_result(db, s, shape, *types, cancel, max_rows, reply, error)) {
    case stream_end::whole:
      return true;
    case stream_end::stopped:
      out.cancelled = !out.drop;
      return false;
    case stream_end::failed:
      reply.error(*error);
      return batch_goes_on_after(*error);
    case stream_end::widened:
      break;
  }
  sqlite3_reset(s);  // keeps the bindings
  return std::nullopt;
}

// Runs one prepared statement; returns false when the batch must stop.
// `kept_by`: the cache that keeps `s` prepared (nullptr for a statement run once).
bool run_statement(sqlite3* db, sqlite3_stmt* s, const cast_types& casts, statement_cache* kept_by,
                   cancel_token& cancel, const exec_request& req, reply_builder& reply, exec_outcome& out) {
  if (auto bind_error = bind_params(s, req.params)) {
    reply.error(*bind_error);
    return false;
  }
  bool was_open = sqlite3_get_autocommit(db) == 0;
  if (opens_transaction_implicitly(db, s, req)) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  const bool set_option = is_set_option(sqlite3_sql(s));
  const std::int64_t max_rows = req.session && !set_option ? req.session->rowcount : 0;
  result_shape scratch;
  const result_shape& shape = shape_for(s, casts, kept_by, scratch);
  if (!set_option) {
    if (const auto go_on = run_streamed(db, s, shape, was_open, max_rows, cancel, req, reply, out)) return *go_on;
    was_open = sqlite3_get_autocommit(db) == 0;  // announced already when it changed
  }
  const auto result = step_all(db, s, cancel, max_rows, shape);
  if (result.cancelled) {
    out.cancelled = true;
    return false;
  }
  announce_transaction_change(db, was_open, s, req, reply);
  if (result.error) {
    reply.error(*result.error);
    return batch_goes_on_after(*result.error);
  }
  if (set_option && !result.error) {
    reply.statement_done({});  // a SET sends no result set
    return true;
  }
  if (result.has_columns) return reply.result_set(result);
  const auto keyword = first_keyword(sqlite3_sql(s));
  const auto command = command_of(keyword);
  if (command != 0) {
    reply.statement_done({done_status::count, command, static_cast<std::uint64_t>(sqlite3_changes64(db))});
  } else {
    reply.statement_done({});
  }
  return true;
}

// The session's #temp tables (SQLite temp schema tables named "#..."); nullopt when the
// listing was stopped (a cancel or the inline budget): then nothing may be dropped.
std::optional<std::vector<std::string>> temp_tables(sqlite3* db, statement_cache* cache) {
  std::vector<std::string> names;
  if (cache && !cache->may_hold_temp_tables()) return names;  // nothing ever created one
  static const std::string sql = "SELECT name FROM temp.sqlite_master WHERE type = 'table' AND name LIKE '#%'";
  // Asked twice per sp_executesql: kept prepared when the connection has a cache.
  stmt_ptr owned;
  if (!cache) {
    sqlite3_stmt* raw = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
    owned.reset(raw);
  }
  sqlite3_stmt* stmt = cache ? cache->prepare(db, sql) : owned.get();
  if (stmt == nullptr) return std::nullopt;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  if (cache) statement_cache::release(stmt);
  if (rc != SQLITE_DONE) return std::nullopt;
  return names;
}

// Drops the #temp tables that are not in `keep`.
void drop_temp_tables(sqlite3* db, statement_cache* cache, const std::vector<std::string>& keep) {
  const auto present = temp_tables(db, cache);
  if (!present) return;
  for (const auto& name : *present) {
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    const std::string sql = "DROP TABLE temp.\"" + name + "\"";
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
}

// sp_reset_connection: roll back, SET options back to the login's, no #temp tables.
void reset_session(sqlite3* db, const exec_request& req, exec_outcome& out) {
  if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (req.transactions) req.transactions->current = 0;
  if (req.session) {
    req.session->rowcount = 0;
    req.session->textsize = req.session->login_textsize;
    req.session->options = req.session->login_options;
  }
  drop_temp_tables(db, req.cache, {});
  write_envchange_bytes(out.tokens, 18, {}, {});
}

// Runs a statement the connection keeps prepared, then resets it for the next request.
bool run_kept(sqlite3* db, sqlite3_stmt* stmt, const rewritten_statement& statement, cancel_token& cancel,
              const exec_request& req, reply_builder& reply, exec_outcome& out) {
  if (cancel.cancelled()) {
    out.cancelled = true;
    return false;
  }
  const bool go_on = run_statement(db, stmt, statement.cast_types, req.cache, cancel, req, reply, out);
  statement_cache::release(stmt);
  return go_on;
}

// Prepares and runs one rewritten statement (its text may hold more than one for SQLite);
// returns false when the batch must stop. A text that is one SQLite statement is kept
// prepared by the connection's cache.
bool run_rewritten(sqlite3* db, const rewritten_statement& statement, cancel_token& cancel, const exec_request& req,
                   reply_builder& reply, exec_outcome& out) {
  const std::string& sql = statement.sql;
  if (req.cache) {
    if (auto* kept = req.cache->find(sql)) return run_kept(db, kept, statement, cancel, req, reply, out);
  }
  const char* tail = sql.c_str();
  const char* end = tail + sql.size();
  while (tail < end) {
    if (cancel.cancelled()) {
      out.cancelled = true;
      return false;
    }
    sqlite3_stmt* raw = nullptr;
    const char* next = nullptr;
    const int rc = sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &raw, &next);
    stmt_ptr stmt(raw);
    if (rc != SQLITE_OK) {
      reply.error(map_sqlite_error(db, std::string_view(tail, static_cast<std::size_t>(end - tail))));
      return false;
    }
    if (req.cache && stmt && tail == sql.c_str() && next == end) {
      req.cache->keep(sql, stmt.get());
      return run_kept(db, stmt.release(), statement, cancel, req, reply, out);
    }
    tail = next;
    if (!stmt) continue;  // only blanks or comments were left
    if (!run_statement(db, stmt.get(), statement.cast_types, nullptr, cancel, req, reply, out)) return false;
  }
  return true;
}

exec_outcome execute_statements(sqlite3* db, cancel_token& cancel, const exec_request& req) {
  exec_outcome out;
  out.tokens.data().reserve(initial_reply_bytes);
  if (req.reset_connection) reset_session(db, req, out);
  reply_builder reply(out, req);
  rewrite_result uncached;
  if (!req.cache) uncached = rewrite_tsql(req.tsql);
  const rewrite_result& rewritten = req.cache ? req.cache->rewritten(req.tsql) : uncached;
  if (rewritten.error) {
    reply.error(server_message{50000, 16, 1, *rewritten.error});
    reply.finish();
    return out;
  }
  for (const auto& statement : rewritten.statements) {
    if (!run_rewritten(db, statement, cancel, req, reply, out)) break;
  }
  if (out.cancelled || out.drop) return out;
  reply.finish();
  return out;
}

}  // namespace

exec_outcome execute(sqlite3* db, cancel_token& cancel, const exec_request& req) {
  if (!req.in_proc) return execute_statements(db, cancel, req);
  // sp_executesql is a scope of its own: its SET options and #temp tables end with it.
  auto kept_tables = temp_tables(db, req.cache);
  if (req.reset_connection) kept_tables.emplace();
  connection_identity before = req.session ? *req.session : connection_identity{};
  if (req.reset_connection) {
    before.rowcount = 0;
    before.textsize = before.login_textsize;
    before.options = before.login_options;
  }
  auto out = execute_statements(db, cancel, req);
  if (req.session) {
    req.session->rowcount = before.rowcount;
    req.session->textsize = before.textsize;
    req.session->options = before.options;
  }
  if (kept_tables) drop_temp_tables(db, req.cache, *kept_tables);
  return out;
}

}  // namespace tdsd
