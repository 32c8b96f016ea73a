// rewrite_tsql: each translation as text, then run on SQLite to prove it means the same.
#include <catch2/catch.hpp>

#include "tests/tdsd/tsql_rewrite.hpp"
#include "tests/unit/tdsd_sqlite_runner.hpp"

using tdsd_test::rows;
using tdsd_test::sqlite_db;

namespace {

std::string rewritten(std::string_view tsql) {
  const auto result = tdsd::rewrite_tsql(tsql);
  INFO(tsql);
  REQUIRE_FALSE(result.error.has_value());
  return result.sql;
}

// A small table like the demo's, filled through the rewriter itself.
void make_tickets(sqlite_db& db) {
  db.run_tsql(
      "CREATE TABLE [dbo].[Tickets] (TicketId INT IDENTITY(1,1) PRIMARY KEY, "
      "Title NVARCHAR(200) NOT NULL, Description NVARCHAR(MAX) NULL, Data VARBINARY(MAX), "
      "Priority INT NOT NULL DEFAULT 2, CreatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME())");
  for (int i = 1; i <= 6; ++i) {
    db.run_tsql("INSERT INTO dbo.Tickets (Title, Priority) VALUES (N'Ticket " + std::to_string(i) +
                "', " + std::to_string(i % 3) + ")");
  }
}

}  // namespace

TEST_CASE("plain SQLite-compatible statements pass through", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT 1") == "SELECT 1");
  CHECK(rewritten("select a, b from t where a >= 2") == "select a, b from t where a >= 2");
  sqlite_db db;
  CHECK(db.run_tsql("SELECT 1") == rows{{"1"}});
}

TEST_CASE("literals, identifiers and comments are tokens, not text", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT N'it''s', [Order Id], \"x\" FROM [t]") ==
        "SELECT 'it''s', \"Order Id\", \"x\" FROM \"t\"");
  CHECK(rewritten("SELECT 'GETDATE() -- not code' /* TOP 5 */ -- ISNULL(\n, 1") ==
        "SELECT 'GETDATE() -- not code' , 1");
  CHECK(rewritten("SELECT [a]]b\"c]") == "SELECT \"a]b\"\"c\"");
  CHECK(rewritten("SELECT 0x1F, 0xABC") == "SELECT X'1F', X'0ABC'");
  CHECK(rewritten("SELECT /* outer /* nested */ still comment */ 2") == "SELECT 2");
  sqlite_db db;
  CHECK(db.run_tsql("SELECT N'東京支店', N'Müller GmbH', 'it''s'") ==
        rows{{"東京支店", "Müller GmbH", "it's"}});
  CHECK(db.run_tsql("SELECT [Order Id] FROM (SELECT 7 AS [Order Id]) AS [x]") == rows{{"7"}});
  CHECK(db.run_tsql("SELECT hex(0x0102)") == rows{{"0102"}});
}

TEST_CASE("(MAX) types and IDENTITY primary keys", "[tdsd][rewrite]") {
  CHECK(rewritten("CREATE TABLE t (Id INT IDENTITY(1,1) PRIMARY KEY, Body NVARCHAR(MAX), "
                  "Raw VARBINARY(MAX), Note VARCHAR(MAX))") ==
        "CREATE TABLE t (Id INTEGER PRIMARY KEY AUTOINCREMENT, Body NTEXT COLLATE NOCASE, Raw BLOB, "
        "Note TEXT COLLATE NOCASE)");
  CHECK(rewritten("CREATE TABLE t (Id BIGINT NOT NULL IDENTITY PRIMARY KEY CLUSTERED, x INT)") ==
        "CREATE TABLE t (Id INTEGER PRIMARY KEY AUTOINCREMENT, x INT)");
  CHECK(rewritten("CREATE TABLE t (Id INT IDENTITY(1,1) NOT NULL PRIMARY KEY) ON [PRIMARY]") ==
        "CREATE TABLE t (Id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL)");
  CHECK(rewritten("CREATE NONCLUSTERED INDEX IX_t ON t (x)") == "CREATE INDEX IX_t ON t (x)");
  sqlite_db db;
  make_tickets(db);
  CHECK(db.run("SELECT TicketId, Title, Description FROM Tickets WHERE TicketId = 6") ==
        rows{{"6", "Ticket 6", "NULL"}});
  CHECK(db.run("SELECT type FROM pragma_table_info('Tickets') WHERE name IN ('Description', 'Data') "
               "ORDER BY cid") == rows{{"NTEXT"}, {"BLOB"}});
  CHECK(db.run("SELECT length(CreatedAt) FROM Tickets WHERE TicketId = 1") == rows{{"23"}});
}

TEST_CASE("TOP becomes LIMIT at the end of its SELECT", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT TOP 5 a FROM t ORDER BY a") == "SELECT a FROM t ORDER BY a LIMIT 5");
  CHECK(rewritten("SELECT TOP (3) a FROM t") == "SELECT a FROM t LIMIT 3");
  CHECK(rewritten("SELECT DISTINCT TOP (@n) a FROM t") == "SELECT DISTINCT a FROM t LIMIT @n");
  CHECK(rewritten("SELECT TOP (@n + 1) a FROM t") == "SELECT a FROM t LIMIT (@n + 1)");
  CHECK(rewritten("SELECT a FROM t WHERE a IN (SELECT TOP 1 b FROM u ORDER BY b DESC) ORDER BY a") ==
        "SELECT a FROM t WHERE a IN (SELECT b FROM u ORDER BY b DESC LIMIT 1) ORDER BY a");
  sqlite_db db;
  make_tickets(db);
  CHECK(db.run_tsql("SELECT TOP 2 TicketId FROM Tickets ORDER BY TicketId DESC") ==
        rows{{"6"}, {"5"}});
  CHECK(db.run_tsql("SELECT TOP (1) Title FROM Tickets WHERE TicketId IN "
                    "(SELECT TOP 3 TicketId FROM Tickets ORDER BY TicketId) ORDER BY TicketId DESC") ==
        rows{{"Ticket 3"}});
  CHECK(db.run_tsql("SELECT COUNT(*) FROM (SELECT TOP (4) * FROM Tickets) AS x") == rows{{"4"}});
}

TEST_CASE("OFFSET FETCH becomes LIMIT OFFSET", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT a FROM t ORDER BY a OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY") ==
        "SELECT a FROM t ORDER BY a LIMIT 5 OFFSET 10");
  CHECK(rewritten("SELECT a FROM t ORDER BY a OFFSET @skip ROWS FETCH FIRST @take ROW ONLY") ==
        "SELECT a FROM t ORDER BY a LIMIT @take OFFSET @skip");
  CHECK(rewritten("SELECT a FROM t ORDER BY a OFFSET 2 ROWS") ==
        "SELECT a FROM t ORDER BY a LIMIT -1 OFFSET 2");
  CHECK(rewritten("SELECT Offset FROM t") == "SELECT Offset FROM t");
  sqlite_db db;
  make_tickets(db);
  CHECK(db.run_tsql("SELECT TicketId FROM Tickets ORDER BY TicketId OFFSET 2 ROWS "
                    "FETCH NEXT 2 ROWS ONLY") == rows{{"3"}, {"4"}});
  CHECK(db.run_tsql("SELECT TicketId FROM Tickets ORDER BY TicketId OFFSET (1 + 3) ROWS") ==
        rows{{"5"}, {"6"}});
}

TEST_CASE("date functions, ISNULL, LEN, identity and session functions", "[tdsd][rewrite]") {
  const std::string now = "(strftime('%Y-%m-%d %H:%M:%f','now'))";
  CHECK(rewritten("SELECT GETDATE(), SYSUTCDATETIME(), GETUTCDATE(), SYSDATETIME()") ==
        "SELECT " + now + ", " + now + ", " + now + ", " + now);
  CHECK(rewritten("SELECT ISNULL(a, 0) FROM t") == "SELECT IFNULL(a, 0) FROM t");
  CHECK(rewritten("SELECT LEN(name) FROM t") == "SELECT length(rtrim(name)) FROM t");
  CHECK(rewritten("SELECT SCOPE_IDENTITY(), @@IDENTITY, @@SPID") ==
        "SELECT last_insert_rowid(), last_insert_rowid(), tdsd_spid()");
  sqlite_db db;
  CHECK(db.run_tsql("SELECT LEN(N'abc  '), LEN(LEFT_PAD), ISNULL(NULL, 'x') FROM "
                    "(SELECT '  ab' AS LEFT_PAD) AS p") == rows{{"3", "4", "x"}});
  CHECK(db.run_tsql("SELECT @@SPID") == rows{{"51"}});
  CHECK(db.run_tsql("SELECT LEN(SUBSTRING('abcdef', 2, 3))") == rows{{"3"}});
  const auto stamp = db.run_tsql("SELECT GETDATE()").at(0).at(0);
  CHECK(stamp.size() == 23);
  CHECK(stamp[4] == '-');
  CHECK(stamp[10] == ' ');
  make_tickets(db);
  CHECK(db.run_tsql("INSERT INTO Tickets (Title) VALUES (N'x'); SELECT SCOPE_IDENTITY()") ==
        rows{{"7"}});
  CHECK(db.run_tsql("INSERT INTO Tickets (Title) VALUES (N'y'); SELECT @@IDENTITY, @@ROWCOUNT") ==
        rows{{"8", "1"}});
}

TEST_CASE("CAST to date types keeps the text, other CASTs are SQLite's", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT CAST(x AS DATETIME2(3)) FROM t") == "SELECT CAST(x AS TEXT) FROM t");
  CHECK(rewritten("SELECT CAST(x AS DATE) FROM t") == "SELECT date(x) FROM t");
  CHECK(rewritten("SELECT CONVERT(NVARCHAR(20), x + 1), CONVERT(DATE, GETDATE()) FROM t") ==
        "SELECT substr(CAST(x + 1 AS NVARCHAR(20)), 1, 20), date((strftime('%Y-%m-%d %H:%M:%f','now'))) FROM t");
  CHECK(rewritten("SELECT a FROM t ORDER BY a OPTION (RECOMPILE)") == "SELECT a FROM t ORDER BY a");
  CHECK(rewritten("SELECT TOP 1 a FROM t OPTION (MAXDOP 1)") == "SELECT a FROM t LIMIT 1");
  // A whole select item is cut to its length (tdsd_cast_types_test.cpp); the alias stays.
  CHECK(rewritten("SELECT CAST(x AS NVARCHAR(20)) AS Date FROM t") ==
        "SELECT substr(CAST(x AS NVARCHAR(20)), 1, 20) AS Date FROM t");
  sqlite_db db;
  CHECK(db.run_tsql("SELECT CAST('2024-05-01 10:00:00' AS DATE), CAST(N'2024-05-01' AS DATE)") ==
        rows{{"2024-05-01", "2024-05-01"}});
  CHECK(db.run_tsql("SELECT CONVERT(INT, N'41') + 1, CONVERT(DATETIME2, '2024-05-01 10:00:00'), "
                    "CONVERT(DATE, '2024-05-01 10:00:00')") == rows{{"42", "2024-05-01 10:00:00", "2024-05-01"}});
  CHECK(db.run_tsql("SELECT CAST('2024-05-01 10:00:00' AS DATETIME2), CAST(42 AS NVARCHAR(10)), "
                    "CAST('7' AS INT) + 1, CAST(N'x' AS NVARCHAR(MAX)), CAST(1 AS BIT)") ==
        rows{{"2024-05-01 10:00:00", "42", "8", "x", "1"}});
}

TEST_CASE("OUTPUT becomes RETURNING", "[tdsd][rewrite]") {
  CHECK(rewritten("INSERT INTO t (a, b) OUTPUT INSERTED.Id, INSERTED.[b] VALUES (1, 2)") ==
        "INSERT INTO t (a, b) VALUES (1, 2) RETURNING Id, \"b\"");
  CHECK(rewritten("UPDATE t SET a = 1 OUTPUT INSERTED.a AS NewA WHERE Id = 3") ==
        "UPDATE t SET a = 1 WHERE Id = 3 RETURNING a AS NewA");
  CHECK(rewritten("DELETE FROM t OUTPUT DELETED.Id WHERE Id = 3") ==
        "DELETE FROM t WHERE Id = 3 RETURNING Id");
  sqlite_db db;
  make_tickets(db);
  CHECK(db.run_tsql("INSERT INTO Tickets (Title, Priority) OUTPUT INSERTED.TicketId, INSERTED.Title "
                    "VALUES (N'new', 9)") == rows{{"7", "new"}});
  CHECK(db.run_tsql("UPDATE Tickets SET Priority = Priority + 10 OUTPUT INSERTED.Priority "
                    "WHERE TicketId = 3") == rows{{"10"}});
  CHECK(db.run_tsql("DELETE FROM Tickets OUTPUT DELETED.Title WHERE TicketId = 2") ==
        rows{{"Ticket 2"}});
  CHECK(db.run_tsql("SELECT COUNT(*) FROM Tickets") == rows{{"6"}});
}

TEST_CASE("session SETs vanish, transactions map, WAITFOR sleeps", "[tdsd][rewrite]") {
  CHECK(rewritten("SET NOCOUNT ON") == "");
  // tedious's login batch: only its text size is a setting tdsd keeps
  CHECK(rewritten("set textsize 2147483647\nset quoted_identifier on\nset arithabort on\n"
                  "set numeric_roundabort off\nset ansi_warnings on\nset language us_english\n"
                  "set dateformat mdy\nset datefirst 7\nset lock_timeout -1\n"
                  "set transaction isolation level read committed") == "SELECT tdsd_set_textsize(2147483647)");
  CHECK(rewritten("SET NOCOUNT ON; SELECT 1") == "SELECT 1");
  CHECK(rewritten("SET NOCOUNT ON SELECT 1 SELECT 2") == "SELECT 1;\nSELECT 2");
  CHECK(rewritten("BEGIN TRAN") == "BEGIN");
  CHECK(rewritten("BEGIN TRANSACTION t1") == "BEGIN");
  CHECK(rewritten("COMMIT") == "COMMIT");
  CHECK(rewritten("COMMIT TRANSACTION") == "COMMIT");
  CHECK(rewritten("ROLLBACK TRAN") == "ROLLBACK");
  CHECK(rewritten("WAITFOR DELAY '00:00:01.500'") == "SELECT tdsd_sleep(1500)");
  CHECK(rewritten("WAITFOR DELAY '01:02:03'") == "SELECT tdsd_sleep(3723000)");
  CHECK(rewritten("WAITFOR DELAY N'00:00:00.05'") == "SELECT tdsd_sleep(50)");
  sqlite_db db;
  make_tickets(db);
  db.run_tsql("BEGIN TRANSACTION; DELETE FROM Tickets; ROLLBACK TRANSACTION");
  CHECK(db.run_tsql("SELECT COUNT(*) FROM Tickets") == rows{{"6"}});
  db.run_tsql("BEGIN TRAN DELETE FROM Tickets WHERE TicketId = 1 COMMIT TRAN");
  CHECK(db.run_tsql("SELECT COUNT(*) FROM Tickets") == rows{{"5"}});
  db.run_tsql("WAITFOR DELAY '00:00:02.250'");
  CHECK(db.slept_ms() == 2250);
}

TEST_CASE("DROP TABLE idioms, TRUNCATE, hints and the dbo prefix", "[tdsd][rewrite]") {
  CHECK(rewritten("IF OBJECT_ID('dbo.Tickets', 'U') IS NOT NULL DROP TABLE dbo.Tickets") ==
        "DROP TABLE IF EXISTS Tickets");
  CHECK(rewritten("DROP TABLE IF EXISTS [dbo].[Tickets]") == "DROP TABLE IF EXISTS \"Tickets\"");
  CHECK(rewritten("SELECT a FROM dbo.t WITH (NOLOCK) WHERE a = 1") ==
        "SELECT a FROM t WHERE a = 1");
  CHECK(rewritten("TRUNCATE TABLE t") == "DELETE FROM t");
  sqlite_db db;
  make_tickets(db);
  db.run_tsql("TRUNCATE TABLE Tickets");
  CHECK(db.run_tsql("SELECT COUNT(*) FROM dbo.Tickets WITH (NOLOCK)") == rows{{"0"}});
  db.run_tsql("IF OBJECT_ID('Tickets') IS NOT NULL DROP TABLE Tickets");
  db.run_tsql("IF OBJECT_ID('Tickets') IS NOT NULL DROP TABLE Tickets");
  CHECK(db.run("SELECT COUNT(*) FROM sqlite_master WHERE name = 'Tickets'") == rows{{"0"}});
}

TEST_CASE("statements split without semicolons where T-SQL allows it", "[tdsd][rewrite]") {
  CHECK(rewritten("INSERT INTO t (a) SELECT b FROM u UNION ALL SELECT c FROM v") ==
        "INSERT INTO t (a) SELECT b FROM u UNION ALL SELECT c FROM v");
  CHECK(rewritten("UPDATE t SET a = 1 WHERE b = 2 SELECT 3") ==
        "UPDATE t SET a = 1 WHERE b = 2;\nSELECT 3");
  CHECK(rewritten("CREATE TABLE c (Id INT PRIMARY KEY, p INT REFERENCES p(Id) ON DELETE CASCADE "
                  "ON UPDATE SET NULL)") ==
        "CREATE TABLE c (Id INT PRIMARY KEY, p INT REFERENCES p(Id) ON DELETE CASCADE "
        "ON UPDATE SET NULL)");
  CHECK(rewritten("WITH x AS (SELECT 1 AS a) SELECT a FROM x") ==
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x");
  CHECK(rewritten("INSERT INTO t VALUES (1) SELECT 2") == "INSERT INTO t VALUES (1);\nSELECT 2");
  sqlite_db db;
  CHECK(db.run_tsql("WITH x AS (SELECT TOP 2 value AS v FROM json_each('[5,6,7]')) "
                    "SELECT SUM(v) FROM x") == rows{{"11"}});
}

TEST_CASE("string '+', CONCAT, DATEADD, DATEDIFF and NEWID", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT N'Dr. ' + Name + N' (' + City + ')' FROM t") ==
        "SELECT 'Dr. ' || Name || ' (' || City || ')' FROM t");
  CHECK(rewritten("SELECT a + b FROM t") == "SELECT a + b FROM t");
  sqlite_db db;
  CHECK(db.run_tsql("SELECT N'Müller' + N' ' + Name, 1 + 2 FROM (SELECT N'GmbH' AS Name) AS x") ==
        rows{{"Müller GmbH", "3"}});
  CHECK(db.run_tsql("SELECT CONCAT(N'a', NULL, 1, N'東京')") == rows{{"a1東京"}});
  CHECK(db.run_tsql("SELECT DATEADD(day, -7, '2024-05-01 10:00:00'), DATEADD(month, 1, '2024-01-15'), "
                    "DATEADD(hh, 2, '2024-05-01 23:30:00')") ==
        rows{{"2024-04-24 10:00:00.000", "2024-02-15 00:00:00.000", "2024-05-02 01:30:00.000"}});
  CHECK(db.run_tsql("SELECT DATEDIFF(day, '2024-01-01 23:59:00', '2024-01-02 00:01:00'), "
                    "DATEDIFF(month, '2023-12-31', '2024-01-01'), DATEDIFF(year, '2024-05-01', '2020-01-01'), "
                    "DATEDIFF(minute, '2024-01-01 10:00:59', '2024-01-01 10:02:00'), "
                    "DATEDIFF(second, '2024-01-01 10:00:00', '2024-01-01 10:00:42')") ==
        rows{{"1", "1", "-4", "2", "42"}});
  CHECK(db.run_tsql("SELECT COUNT(*) FROM (SELECT GETDATE() AS d) AS x "
                    "WHERE d > DATEADD(minute, -1, SYSUTCDATETIME())") == rows{{"1"}});
  const auto guid = db.run_tsql("SELECT NEWID()").at(0).at(0);
  CHECK(guid.size() == 36);
  CHECK(guid[14] == '4');
  CHECK(guid[8] == '-');
  CHECK(db.run_tsql("SELECT COUNT(DISTINCT g) FROM (SELECT NEWID() AS g UNION ALL SELECT NEWID()) AS x") ==
        rows{{"2"}});
}

TEST_CASE("text compares case-insensitively, as under SQL Server's default collation", "[tdsd][rewrite]") {
  CHECK(rewritten("CREATE TABLE u (Name NVARCHAR(10) NOT NULL UNIQUE, Code CHAR(3) COLLATE Latin1_General_CS_AS)") ==
        "CREATE TABLE u (Name NVARCHAR(10) COLLATE NOCASE NOT NULL UNIQUE, Code CHAR(3) COLLATE BINARY)");
  sqlite_db db;
  db.run_tsql("CREATE TABLE Users (UserId INT IDENTITY(1,1) PRIMARY KEY, Username NVARCHAR(255) NOT NULL UNIQUE, "
              "Code NVARCHAR(10) COLLATE SQL_Latin1_General_CP1_CS_AS NULL)");
  db.run_tsql("INSERT INTO Users (Username, Code) VALUES (N'john@acme.com', N'abc')");
  CHECK(db.run_tsql("SELECT UserId FROM Users WHERE Username = N'JOHN@ACME.COM'") == rows{{"1"}});
  CHECK(db.run_tsql("SELECT COUNT(*) FROM Users WHERE Code = N'ABC'") == rows{{"0"}});
  CHECK(db.run_tsql("SELECT COUNT(*) FROM Users WHERE Code = N'ABC' COLLATE Latin1_General_CI_AI") == rows{{"1"}});
  CHECK_THROWS(db.run_tsql("INSERT INTO Users (Username) VALUES (N'John@Acme.com')"));
  CHECK(db.run("SELECT type FROM pragma_table_info('Users') WHERE name = 'Username'") == rows{{"NVARCHAR(255)"}});
}

TEST_CASE("EXEC sp_executesql in a batch binds its literal parameters", "[tdsd][rewrite]") {
  CHECK(rewritten("EXEC sp_executesql N'SELECT @a + 1 AS r, @s AS s', N'@a int, @s nvarchar(10)', "
                  "@a = 41, @s = N'it''s'") == "SELECT 41 + 1 AS r, 'it''s' AS s");
  CHECK(rewritten("EXECUTE sys.sp_executesql N'SELECT @A', N'@a int', 5") == "SELECT 5");
  CHECK(rewritten("exec sp_executesql N'SELECT @a * 2', N'@a int', @a = -3") == "SELECT (-3) * 2");
  CHECK(rewritten("EXEC sp_executesql N'SET NOCOUNT ON; SELECT TOP (@n) x FROM t', N'@n int', @n = 2") ==
        "SELECT x FROM t LIMIT 2");
  CHECK(rewritten("SELECT 0; EXEC sp_executesql N'SELECT 1'") == "SELECT 0;\nSELECT 1");
  sqlite_db db;
  CHECK(db.run_tsql("EXEC sp_executesql N'SELECT @i, @f, @s + N''!'', @b, @n, @d', "
                    "N'@i int, @f float, @s nvarchar(max), @b varbinary(max), @n int, @d datetime2', "
                    "@i = -7, @f = 2.5, @s = N'Grüße 東京', @b = 0x00FF, @n = NULL, @d = '2024-05-01 10:20:30'") ==
        rows{{"-7", "2.5", "Grüße 東京!", std::string("\0\xFF", 2), "NULL", "2024-05-01 10:20:30"}});
}

TEST_CASE("session state: #temp tables, SET ROWCOUNT, @@TRANCOUNT", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT a FROM #work") == "SELECT a FROM temp.\"#work\"");
  CHECK(rewritten("SET ROWCOUNT 5") == "SELECT tdsd_set_rowcount(5)");
  CHECK(rewritten("SELECT @@TRANCOUNT") == "SELECT tdsd_trancount()");
  CHECK(tdsd::rewrite_tsql("SET ROWCOUNT @n").error.has_value());
}

TEST_CASE("session state: @@OPTIONS and SET IMPLICIT_TRANSACTIONS", "[tdsd][rewrite]") {
  CHECK(rewritten("SELECT @@TRANCOUNT, @@OPTIONS") == "SELECT tdsd_trancount(), tdsd_options()");
  CHECK(rewritten("SET IMPLICIT_TRANSACTIONS ON") == "SELECT tdsd_set_implicit_transactions(1)");
  CHECK(rewritten("set implicit_transactions off") == "SELECT tdsd_set_implicit_transactions(0)");
  CHECK(tdsd::rewrite_tsql("SET IMPLICIT_TRANSACTIONS 1").error.has_value());
}
