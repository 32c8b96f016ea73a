#pragma once
// Splits a T-SQL batch into statements. T-SQL needs no semicolons between statements
// (`set nocount on select 1`), so a statement also ends where a keyword at nesting depth
// 0 can only start a new one.
#include <vector>

#include "tests/tdsd/tsql_lexer.hpp"

namespace tdsd {

/// One statement's tokens, without the terminating semicolon.
using tsql_statement = std::vector<tsql_token>;

/// The statements of a batch in order; empty statements (`;;`) are skipped.
std::vector<tsql_statement> split_statements(const std::vector<tsql_token>& tokens);

}  // namespace tdsd
