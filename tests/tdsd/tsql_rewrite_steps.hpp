#pragma once
// The steps of rewrite_tsql, one concern per file (tsql_control.cpp, tsql_executesql.cpp,
// tsql_expressions.cpp, tsql_functions.cpp, tsql_clauses.cpp, tsql_ddl.cpp). Each step
// edits one statement's tokens in place and returns the name of a construct it cannot
// translate, if it met one.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/tdsd/tsql_statements.hpp"

namespace tdsd {

/// The name of an unsupported construct ("MERGE"), or nothing when the step succeeded.
using construct_error = std::optional<std::string>;

/// How a statement handled as a whole (SET, BEGIN TRAN, WAITFOR, IF, USE...) came out.
struct control_outcome {
  bool handled = false;        // false: an ordinary statement, run the other steps
  tsql_statement replacement;  // empty: drop the statement
  construct_error error;
};

/// True for `EXEC [sys.]sp_executesql ...` in a language batch.
bool is_exec_sp_executesql(const tsql_statement& statement);

/// The statement of an EXEC sp_executesql with its parameters replaced by their literal
/// values, appended to `inner`; or the construct that stops it (OUTPUT, variables...).
construct_error expand_sp_executesql(const tsql_statement& statement, std::vector<tsql_token>& inner);

/// Statements translated or rejected as a whole, chosen by their first word.
control_outcome rewrite_control_statement(const tsql_statement& statement);

/// Functions, system variables, type names, schema prefixes, hints, rejected keywords.
construct_error rewrite_expressions(tsql_statement& statement);

/// How a built-in call with moving arguments came out; `handled` false: not such a call.
struct call_rewrite {
  bool handled = false;
  construct_error error;
};

/// CONCAT, CONVERT, DATEADD, DATEDIFF, NEWID at statement[name] (then its argument list).
call_rewrite rewrite_call(tsql_statement& statement, std::size_t name);

/// SELECT TOP n -> LIMIT n, in the statement and in parenthesised subqueries.
construct_error rewrite_top(tsql_statement& statement);

/// ORDER BY ... OFFSET x ROWS FETCH NEXT y ROWS ONLY -> LIMIT y OFFSET x.
construct_error rewrite_offset_fetch(tsql_statement& statement);

/// INSERT/UPDATE/DELETE ... OUTPUT INSERTED.a ... -> ... RETURNING a.
construct_error rewrite_output(tsql_statement& statement);

/// The T-SQL target type of each item of a SELECT's list that is a whole CAST(x AS type)
/// or CONVERT(type, x) (nullopt for other items), by position, up to the first `*` item;
/// empty for other statements. Rewrites those CASTs where SQLite would spoil the value
/// (exact numerics kept as digits, character and binary values cut to their length).
std::vector<std::optional<std::string>> take_select_cast_types(tsql_statement& statement);

/// CREATE TABLE/INDEX: IDENTITY primary keys, CLUSTERED, filegroups.
construct_error rewrite_ddl(tsql_statement& statement);

/// The index of the `)` matching the `(` at `open`, or npos.
std::size_t matching_paren(const tsql_statement& statement, std::size_t open);

/// A token holding SQLite text made by a rewrite.
tsql_token raw_token(std::string text, bool space_before = true);

/// True when statement[index] exists and is the bare word `keyword`.
bool word_at(const tsql_statement& statement, std::size_t index, std::string_view keyword);

/// True when statement[index] exists and is the symbol `symbol`.
bool symbol_at(const tsql_statement& statement, std::size_t index, std::string_view symbol);

}  // namespace tdsd
