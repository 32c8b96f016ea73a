// rewrite_tsql refuses what SQLite cannot run, naming the construct, and survives garbage.
#include <catch2/catch.hpp>

#include <random>

#include "tests/tdsd/tsql_rewrite.hpp"

namespace {

std::string refusal(std::string_view tsql) {
  const auto result = tdsd::rewrite_tsql(tsql);
  INFO(tsql << " -> " << result.sql);
  REQUIRE(result.error.has_value());
  CHECK(result.sql.empty());
  return *result.error;
}

std::string construct(std::string_view tsql) {
  const std::string prefix = "unsupported T-SQL construct: ";
  const auto error = refusal(tsql);
  REQUIRE(error.starts_with(prefix));
  return error.substr(prefix.size());
}

}  // namespace

TEST_CASE("databases are configured, not chosen by the batch", "[tdsd][rewrite][reject]") {
  CHECK(construct("USE FieldServiceDB") == "USE");
  CHECK(construct("CREATE DATABASE x") == "CREATE DATABASE");
  CHECK(construct("DROP DATABASE x") == "DROP DATABASE");
}

TEST_CASE("procedural and server-side constructs are refused by name", "[tdsd][rewrite][reject]") {
  CHECK(construct("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE;") == "MERGE");
  CHECK(construct("EXEC sp_who") == "EXEC");
  CHECK(construct("EXECUTE dbo.GetTickets @id = 1") == "EXEC");
  CHECK(construct("INSERT INTO t EXEC GetRows") == "EXEC");
  CHECK(construct("CREATE PROCEDURE p AS SELECT 1") == "CREATE PROCEDURE");
  CHECK(construct("CREATE OR ALTER FUNCTION f() RETURNS INT AS BEGIN RETURN 1 END") ==
        "CREATE FUNCTION");
  CHECK(construct("DECLARE c CURSOR FOR SELECT a FROM t") == "cursors");
  CHECK(construct("FETCH NEXT FROM c") == "cursors");
  CHECK(construct("DECLARE @t TABLE (a INT)") == "table variables");
  CHECK(construct("DECLARE @x INT") == "DECLARE (variables)");
  CHECK(construct("SET @x = 1") == "SET @variable");
  CHECK(construct("CREATE TABLE ##shared (a INT)") == "##global temp tables");
  CHECK(construct("SELECT * FROM t CROSS APPLY f(t.a)") == "CROSS APPLY");
  CHECK(construct("SELECT * FROM t OUTER APPLY (SELECT 1 AS x) AS y") == "OUTER APPLY");
  CHECK(construct("SELECT * FROM t PIVOT (SUM(v) FOR k IN ([a], [b])) AS p") == "PIVOT");
  CHECK(construct("BEGIN TRY SELECT 1 END TRY BEGIN CATCH SELECT 2 END CATCH") == "TRY...CATCH");
  CHECK(construct("BEGIN SELECT 1 END") == "BEGIN...END block");
  CHECK(construct("IF 1 = 1 SELECT 1") == "IF");
  CHECK(construct("WHILE 1 = 1 SELECT 1") == "WHILE");
  CHECK(construct("SELECT a INTO newtable FROM t") == "SELECT ... INTO");
  CHECK(construct("SELECT @@FETCH_STATUS") == "@@FETCH_STATUS");
  CHECK(construct("SELECT a FROM t FOR JSON PATH") == "FOR JSON");
  CHECK(construct("SELECT a FROM t FOR XML AUTO") == "FOR XML");
  CHECK(construct("WAITFOR TIME '10:00'") == "WAITFOR without DELAY");
  CHECK(construct("WAITFOR DELAY @d").starts_with("WAITFOR DELAY"));
  CHECK(construct("WAITFOR DELAY 'soon'").starts_with("WAITFOR DELAY 'soon'"));
}

TEST_CASE("TOP and OUTPUT forms without a SQLite equivalent", "[tdsd][rewrite][reject]") {
  CHECK(construct("SELECT TOP 10 PERCENT a FROM t") == "TOP ... PERCENT");
  CHECK(construct("SELECT TOP 3 WITH TIES a FROM t ORDER BY a") == "TOP ... WITH TIES");
  CHECK(construct("DELETE TOP (5) FROM t") == "TOP in DELETE");
  CHECK(construct("UPDATE TOP (5) t SET a = 1") == "TOP in UPDATE");
  CHECK(construct("SELECT TOP 1 a FROM t UNION SELECT b FROM u") == "TOP in a UNION/EXCEPT/INTERSECT");
  CHECK(construct("UPDATE t SET a = 1 OUTPUT DELETED.a WHERE b = 1") == "OUTPUT DELETED in UPDATE");
  CHECK(construct("INSERT INTO t (a) OUTPUT INSERTED.a INTO @ids VALUES (1)") == "OUTPUT ... INTO");
  CHECK(construct("CREATE TABLE t (Id INT IDENTITY(1,1), CONSTRAINT pk PRIMARY KEY (Id))") ==
        "IDENTITY column without an inline PRIMARY KEY");
}

TEST_CASE("a refusal anywhere in a batch refuses the batch", "[tdsd][rewrite][reject]") {
  CHECK(construct("SELECT 1; EXEC p; SELECT 2") == "EXEC");
  CHECK(construct("SET NOCOUNT ON USE master") == "USE");
}

TEST_CASE("unterminated literals and comments are syntax errors", "[tdsd][rewrite][reject]") {
  CHECK(refusal("SELECT 'abc") == "T-SQL syntax error: unterminated string literal");
  CHECK(refusal("SELECT N'abc") == "T-SQL syntax error: unterminated string literal");
  CHECK(refusal("SELECT [abc") == "T-SQL syntax error: unterminated [identifier]");
  CHECK(refusal("SELECT \"abc") == "T-SQL syntax error: unterminated quoted identifier");
  CHECK(refusal("SELECT 1 /* a /* b */") == "T-SQL syntax error: unterminated /* comment");
}

TEST_CASE("random bytes never crash or hang the rewriter", "[tdsd][rewrite][fuzz]") {
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 200);
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) input.push_back(static_cast<char>(byte(rng)));
    const auto result = tdsd::rewrite_tsql(input);
    CHECK((result.error.has_value() || result.sql.size() < 4 * input.size() + 64));
  }
}

TEST_CASE("random token soup never crashes or hangs the rewriter", "[tdsd][rewrite][fuzz]") {
  const std::vector<std::string> pieces{
      "SELECT", "TOP", "(", ")", "5", "@p", ",", "FROM", "t", "WHERE", "ORDER", "BY", "OFFSET",
      "ROWS", "FETCH", "NEXT", "ONLY", "INSERT", "INTO", "VALUES", "OUTPUT", "INSERTED", ".",
      "DELETED", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "IDENTITY", "PRIMARY", "KEY",
      "NVARCHAR", "MAX", "LEN", "ISNULL", "GETDATE", "CAST", "AS", "DATETIME2", "IF", "OBJECT_ID",
      "IS", "NOT", "NULL", "DROP", "BEGIN", "TRAN", "COMMIT", "ROLLBACK", "WAITFOR", "DELAY",
      "'00:00:01'", "N'x'", "[b]", "\"c\"", ";", "WITH", "NOLOCK", "dbo", "UNION", "@@SPID",
      "SCOPE_IDENTITY", "DISTINCT", "--", "/*", "*/", "'", "[", "\n", "GO", "0x1", "1e",
      "EXEC", "sp_executesql", "N'SELECT @a'", "N'@a int'", "@a", "=", "-", "CONCAT", "DATEADD",
      "day", "COLLATE", "Latin1_General_CI_AS", "OPTION", "RECOMPILE", "CONVERT", "INT"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 40);
  int accepted = 0;
  for (int round = 0; round < 5000; ++round) {
    std::string input;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) input += pieces[pick(rng)] + " ";
    const auto result = tdsd::rewrite_tsql(input);
    if (!result.error) ++accepted;
    CHECK((result.error.has_value() || result.sql.size() < 4 * input.size() + 64));
  }
  CHECK(accepted > 0);
}

TEST_CASE("date parts and call shapes without a translation", "[tdsd][rewrite][reject]") {
  CHECK(construct("SELECT DATEADD(week, 1, d) FROM t") == "DATEADD with this date part");
  CHECK(construct("SELECT DATEDIFF(day, d) FROM t") == "DATEDIFF with this date part");
  CHECK(construct("SELECT CONCAT(a) FROM t") == "CONCAT with fewer than two arguments");
  CHECK(construct("SELECT NEWID(1)") == "NEWID with arguments");
  CHECK(construct("SELECT CONVERT(NVARCHAR(30), d, 126) FROM t") == "CONVERT with a style");
}

TEST_CASE("EXEC sp_executesql forms without a literal binding", "[tdsd][rewrite][reject]") {
  CHECK(construct("EXEC sp_executesql N'SELECT @a', N'@a int OUTPUT', @a = @x OUTPUT") ==
        "sp_executesql OUTPUT parameters");
  CHECK(construct("EXEC sp_executesql N'SELECT @a', N'@a int', @a = @x") ==
        "sp_executesql parameter values other than literals");
  CHECK(construct("EXEC sp_executesql N'SELECT @a', N'@a int'") == "sp_executesql without a value for @a");
  CHECK(construct("EXEC sp_executesql N'SELECT 1', N'', @b = 1") ==
        "sp_executesql value for an undeclared parameter");
  CHECK(construct("EXEC sp_executesql @sql") == "sp_executesql without a statement literal");
  CHECK(construct("EXEC sp_executesql N'EXEC sp_who'") == "EXEC");
  CHECK(construct("EXEC sp_executesql N'SELECT ''abc'") ==
        "sp_executesql statement: unterminated string literal");
  std::string nested = "SELECT 1";
  for (int i = 0; i < 6; ++i) {
    std::string quoted;
    for (char c : nested) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    nested = "EXEC sp_executesql N'" + quoted + "'";
  }
  CHECK(construct(nested) == "EXEC sp_executesql nested this deep");
}
