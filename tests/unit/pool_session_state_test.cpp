// The statements whose connection cannot be proven clean after a reset: procedure calls
// and cursors, read as T-SQL words (not inside literals, quoted names or comments).
#include <catch2/catch.hpp>

#include "tds_pool/freetds/session_state.hpp"

using tds_pool::may_leave_session_state;

TEST_CASE("plain statements are provable", "[pool][session]") {
    CHECK_FALSE(may_leave_session_state("SELECT id, name FROM Customers WHERE id = @id"));
    CHECK_FALSE(may_leave_session_state("  insert into Notes (Text) values (@t); select scope_identity()"));
    CHECK_FALSE(may_leave_session_state("WITH x AS (SELECT 1 AS a) SELECT a FROM x"));
    CHECK_FALSE(may_leave_session_state("SELECT 'EXEC sp_getapplock' AS text -- EXEC in a comment"));
    CHECK_FALSE(may_leave_session_state("SELECT [exec], \"cursor\" FROM t /* EXECUTE */"));
    CHECK_FALSE(may_leave_session_state("BEGIN TRANSACTION; UPDATE t SET a = 1; COMMIT"));
    CHECK_FALSE(may_leave_session_state("SELECT 'it''s EXEC' AS s"));
}

TEST_CASE("procedure calls and cursors are not", "[pool][session]") {
    CHECK(may_leave_session_state("EXEC sp_set_session_context N'user', @u"));
    CHECK(may_leave_session_state("select 1; execute dbo.do_things"));
    CHECK(may_leave_session_state("sp_getapplock @Resource = 'x', @LockMode = 'Exclusive'"));
    CHECK(may_leave_session_state("DECLARE c CURSOR GLOBAL FOR SELECT 1"));
    CHECK(may_leave_session_state("/* leading comment */ dbo.proc_without_exec 1"));
    CHECK(may_leave_session_state("SELECT 1; EXEC('SELECT 2')"));
}
