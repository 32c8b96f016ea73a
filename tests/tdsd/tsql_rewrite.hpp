#pragma once
// T-SQL -> SQLite rewriting for tdsd: the T-SQL that the gateway, the demo data and the
// interop clients send becomes SQL that SQLite runs with the same result, and whatever
// cannot be translated is refused with the name of the construct.
//
// Type names (the server maps a column's declared type back to a TDS type):
//   NVARCHAR(MAX), NCHAR(MAX)  -> NTEXT   (server: NVARCHAR(MAX))
//   VARCHAR(MAX)               -> TEXT    (server: NVARCHAR(MAX))
//   VARBINARY(MAX)             -> BLOB    (server: VARBINARY(MAX))
//   NVARCHAR(n), DATETIME2, BIT, ... kept as written
//   INT|BIGINT IDENTITY(s,i) PRIMARY KEY -> INTEGER PRIMARY KEY AUTOINCREMENT
//   text columns in CREATE TABLE get COLLATE NOCASE (SQL Server's default collation is
//   case-insensitive); COLLATE *_CI_* -> NOCASE, *_CS_* / *_BIN* -> BINARY
//   a SELECT's top-level CAST / CONVERT items: their target types travel beside the SQL
//     (rewritten_statement::cast_types); see tsql_select_casts.cpp;
//   CONVERT(type, x) -> CAST(x AS type); CAST(x AS DATE) -> date(x);
//   CAST(x AS DATETIME|DATETIME2|TIME|UNIQUEIDENTIFIER...) -> CAST(x AS TEXT)
//     (those names have NUMERIC affinity in SQLite, which would cut '2024-05-01' to 2024)
// Statements: SET ROWCOUNT n -> SELECT tdsd_set_rowcount(n), SET TEXTSIZE n ->
//   SELECT tdsd_set_textsize(n) (the executor runs them without a result set); any other
//   SET <option> ... is dropped (an empty result is a no-op batch);
//   EXEC sp_executesql N'stmt', N'@a int', @a = 1 in a batch -> stmt with @a bound to the
//   literal 1 (literal values only; RPC sp_executesql is bound by the server);
//   BEGIN TRAN / COMMIT / ROLLBACK [TRAN[SACTION]] -> BEGIN / COMMIT / ROLLBACK;
//   WAITFOR DELAY 'hh:mm:ss.mmm' -> SELECT tdsd_sleep(ms);
//   IF OBJECT_ID('x') IS NOT NULL DROP TABLE x -> DROP TABLE IF EXISTS x;
//   TRUNCATE TABLE x -> DELETE FROM x.
// Clauses: SELECT TOP n / TOP (expr) -> LIMIT at the end of that SELECT (statement or
//   parenthesised subquery); OFFSET x ROWS FETCH NEXT y ROWS ONLY -> LIMIT y OFFSET x;
//   OUTPUT INSERTED.a / DELETED.a -> RETURNING a; WITH (NOLOCK) and OPTION (...) dropped.
// Expressions: GETDATE(), GETUTCDATE(), SYSDATETIME(), SYSUTCDATETIME() -> UTC
//   strftime('%Y-%m-%d %H:%M:%f','now'); ISNULL -> IFNULL; LEN(x) -> length(rtrim(x));
//   SUBSTRING -> substr; SCOPE_IDENTITY(), @@IDENTITY -> last_insert_rowid();
//   @@ROWCOUNT -> changes(); @@SPID -> tdsd_spid(); @@TRANCOUNT -> tdsd_trancount();
//   @@TEXTSIZE -> tdsd_textsize();
//   #name (a local temp table) -> temp."#name" (the client's own SQLite temp schema); [name] -> "name"; N'..' -> '..';
//   0x1F -> X'1F'; the dbo. schema prefix is dropped; '+' beside a string literal -> ||;
//   CONCAT(a, b) -> IFNULL(a, '') || IFNULL(b, ''); NEWID() -> a random v4 GUID text;
//   DATEADD(year|month|day|hour|minute|second, n, d) -> strftime(..., d, n || ' days');
//   DATEDIFF(same parts, a, b) -> the count of part boundaries between a and b.
// Refused: USE, CREATE/DROP DATABASE, procedures, functions, triggers, EXEC (other than
//   sp_executesql), MERGE, cursors, DECLARE, table variables, ##global temp tables, CROSS/OUTER
//   APPLY, PIVOT, TRY...CATCH, BEGIN...END, IF (other than the DROP TABLE idiom), WHILE,
//   SELECT INTO, FOR JSON/XML, TOP with PERCENT/WITH TIES or in INSERT/UPDATE/DELETE,
//   OUTPUT ... INTO, other @@variables.
// Not translated (SQLite's own meaning applies): '+' between two non-literal strings
//   (use CONCAT), CONVERT with a style, the length limit of NVARCHAR(n) in a CAST that
//   is not a whole select item,
//   GETDATE() being UTC, DATEADD(month) past a month's end (SQLite rolls 01-31 + 1 month
//   over to 03-02).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdsd {

/// One statement's SQLite text and the T-SQL types its result columns take from a
/// top-level CAST / CONVERT (by position; nullopt or past the end: SQLite's type).
struct rewritten_statement {
  std::string sql;
  std::vector<std::optional<std::string>> cast_types;
};

/// The outcome of rewriting one batch: SQLite SQL, or why it cannot be run.
struct rewrite_result {
  std::string sql;                   // statements joined with ";\n"; empty: nothing to run
  std::optional<std::string> error;  // "unsupported T-SQL construct: X"
  std::vector<rewritten_statement> statements;  // `sql` one statement at a time
};

/// The functions SET ROWCOUNT and SET TEXTSIZE become; a statement calling one sends no
/// result set (is_set_option).
inline constexpr std::string_view set_rowcount_call = "SELECT tdsd_set_rowcount";
inline constexpr std::string_view set_textsize_call = "SELECT tdsd_set_textsize";
inline constexpr std::string_view set_implicit_transactions_call = "SELECT tdsd_set_implicit_transactions";

/// True for rewritten SQL that only changes a session option.
inline bool is_set_option(std::string_view sql) {
  return sql.starts_with(set_rowcount_call) || sql.starts_with(set_textsize_call) ||
         sql.starts_with(set_implicit_transactions_call);
}

/// Rewrites T-SQL statement(s) into SQLite SQL.
rewrite_result rewrite_tsql(std::string_view tsql);

/// Splits an init script into batches at lines holding only `GO` (optionally `GO n`,
/// which repeats the batch n times); lines inside literals and comments never split.
/// Throws std::runtime_error for `GO n` with n above 1000 (each repeat is a copy).
std::vector<std::string> split_go_batches(std::string_view script);

}  // namespace tdsd
