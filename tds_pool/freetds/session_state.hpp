#pragma once
// Which statements may leave session state that the pool's reset cannot undo. A lease
// ends with a reset (tds_pool/README.md, "Session state"): sp_executesql scopes SET
// options and #temp tables, the pool rolls back open transactions and clears
// CONTEXT_INFO. What it cannot clear without the TDS RESETCONNECTION bit — keys of
// sp_set_session_context, GLOBAL cursors, session-owned application locks — is only
// reachable through a procedure call or a cursor. A statement that may make one is
// not proven clean, so its connection is closed instead of reused.

#include <string_view>

namespace tds_pool {

/// True when `sql` calls a procedure (EXEC/EXECUTE, or a bare procedure name as the
/// first statement) or declares a cursor; string literals, [quoted] and "quoted"
/// identifiers and comments are not read as words.
bool may_leave_session_state(std::string_view sql) noexcept;

/// True unless `sql` provably leaves the session as it found it, so the lease-end reset
/// (a round trip) may be skipped: it names no transaction statement (BEGIN, COMMIT,
/// ROLLBACK, SAVE, TRAN...), no option that opens transactions by itself
/// (IMPLICIT_TRANSACTIONS, ANSI_DEFAULTS), no CONTEXT_INFO, no statement that can fire a
/// trigger, which may set session state of its own (INSERT, UPDATE, DELETE, MERGE, INTO,
/// DDL, GRANT...), and nothing `may_leave_session_state` flags. Plain SELECTs pass.
/// A session whose server opens transactions implicitly needs the reset whatever it ran.
bool may_change_session_state(std::string_view sql) noexcept;

}  // namespace tds_pool
