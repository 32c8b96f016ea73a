#pragma once
// Which requests run on the session's own thread instead of a worker. A hand-off to a
// worker and back costs two thread wake-ups, more than a small cached SELECT itself; but a
// request on the socket thread holds up every other client of that thread, so only those
// that can neither wait nor run long go there:
//   - every statement of the batch already prepared on this connection (statement_cache),
//     read-only for SQLite (sqlite3_stmt_readonly) and no transaction control;
//   - no tdsd_sleep (WAITFOR), no SET IMPLICIT_TRANSACTIONS session (its BEGIN could wait);
//   - a connection reset only when no transaction is open (ROLLBACK could wait on nothing
//     else, but a reset with one open goes the safe way).
// A read in WAL mode never waits for a lock. What can still run long (a big scan) is cut
// off by the time budget (inline_budget): SQLite's progress handler stops it, the partial
// reply is thrown away and the session's state restored, and the request runs again on a
// worker (a read-only request can be run twice).
#include <chrono>

#include "tests/tdsd/executor.hpp"

struct sqlite3;

namespace tdsd {

/// How long a request may run on the session thread before it moves to a worker.
inline constexpr std::chrono::milliseconds inline_budget{5};

/// True when `req` may run on the calling (socket) thread; see the file comment.
/// `req.cache` and `req.session` must be set.
bool runs_inline(sqlite3* db, const exec_request& req);

/// Runs `req` on the calling thread within inline_budget; nullopt when the budget ran
/// out (nothing sent, the session's SET options and transaction ids as they were).
std::optional<exec_outcome> execute_inline(sqlite3* db, cancel_token& cancel, const exec_request& req);

}  // namespace tdsd
