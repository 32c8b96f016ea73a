#pragma once
// Runs a batch or an sp_executesql statement on a client's SQLite connection and encodes
// the reply tokens. Blocking: always called on a worker thread.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/tdsd/cancel_token.hpp"
#include "tests/tdsd/rpc_request.hpp"
#include "tests/tdsd/sqlite_connection.hpp"
#include "tests/tdsd/statement_cache.hpp"
#include "tests/tdsd/wire.hpp"

struct sqlite3;

namespace tdsd {

/// Transaction descriptors announced to the client (ENVCHANGE 8/9/10); 0 = none open.
struct transaction_ids {
  std::uint64_t current = 0;
  std::uint64_t next = 1;
};

/// What to run: T-SQL text, its parameters, and how to frame the reply.
struct exec_request {
  std::string tsql;
  std::vector<rpc_param> params;
  bool in_proc = false;                // sp_executesql: DONEINPROC..., RETURNSTATUS, DONEPROC
  std::uint64_t drop_after_rows = 0;   // fault: stop after this many rows of a result (0 = off)
  bool reset_connection = false;       // roll back an open transaction, acknowledge with ENVCHANGE 18
  transaction_ids* transactions = nullptr;  // the session's; BEGIN/COMMIT/ROLLBACK in SQL update it
  connection_identity* session = nullptr;   // the session's SET options (ROWCOUNT, TEXTSIZE)
  statement_cache* cache = nullptr;         // the connection's rewrites and prepared statements
};

/// The encoded reply, or why there is none.
struct exec_outcome {
  byte_writer tokens;
  bool cancelled = false;  // ATTENTION or shutdown stopped the request
  bool drop = false;       // drop_after_rows hit: send `tokens` without end-of-message, then close
  bool failed = false;     // a statement raised an error
};

/// Executes `req` on `db`, one DONE (or DONEINPROC) per statement. As in SQL Server, SET
/// options changed and #temp tables created inside sp_executesql (`in_proc`) end with it;
/// `reset_connection` first rolls back, clears SET options and drops every #temp table.
exec_outcome execute(sqlite3* db, cancel_token& cancel, const exec_request& req);

}  // namespace tdsd
