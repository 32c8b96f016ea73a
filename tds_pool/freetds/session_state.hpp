#pragma once
// What a statement may leave on its session for the next lease. A lease ends with a reset
// (tds_pool/README.md, "Session state"): sp_executesql scopes SET options and #temp
// tables, the pool rolls back open transactions and clears CONTEXT_INFO. What it cannot
// clear without the TDS RESETCONNECTION bit — keys of sp_set_session_context, GLOBAL
// cursors, session-owned application locks, open symmetric or master keys, SETUSER, trace
// flags — makes its connection closed instead of reused. A statement that provably
// changes nothing at all skips the reset, a round trip.

#include <string_view>

namespace tds_pool {

/// True when `sql` calls a procedure (EXEC/EXECUTE, or a bare or [quoted] procedure name
/// as the first statement), declares a cursor, opens a symmetric or master key, or runs
/// SETUSER or DBCC; string literals, [quoted] and "quoted" identifiers and comments are
/// not read as words.
bool may_leave_session_state(std::string_view sql) noexcept;

/// True unless `sql` provably leaves the session as it found it, so the lease-end reset
/// may be skipped: it names no transaction statement (BEGIN, COMMIT, ROLLBACK, SAVE,
/// TRAN...), no option that opens transactions by itself (IMPLICIT_TRANSACTIONS,
/// ANSI_DEFAULTS), no CONTEXT_INFO, no statement that can fire a trigger, which may set
/// session state of its own (INSERT, UPDATE, DELETE, MERGE, INTO, DDL, GRANT...), no
/// OPEN/CLOSE/FETCH, and nothing `may_leave_session_state` flags; and the scanner is sure
/// of its reading (no byte outside ASCII outside literals, no carriage return without its
/// line feed, no number glued to a word). Plain SELECTs pass. A session whose server opens
/// transactions implicitly needs the reset whatever it ran (connection::needs_reset).
bool may_change_session_state(std::string_view sql) noexcept;

}  // namespace tds_pool
