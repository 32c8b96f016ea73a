#include "tests/tdsd/tsql_rewrite.hpp"

#include <utility>

#include "tests/tdsd/tsql_lexer.hpp"
#include "tests/tdsd/tsql_rewrite_steps.hpp"
#include "tests/tdsd/tsql_statements.hpp"

namespace tdsd {

std::size_t matching_paren(const tsql_statement& statement, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < statement.size(); ++i) {
    if (is_symbol(statement[i], "(")) ++depth;
    if (is_symbol(statement[i], ")") && --depth == 0) return i;
  }
  return std::string::npos;
}

tsql_token raw_token(std::string text, bool space_before) {
  return tsql_token{tsql_token_kind::raw, std::move(text), space_before};
}

bool word_at(const tsql_statement& statement, std::size_t index, std::string_view keyword) {
  return index < statement.size() && is_word(statement[index], keyword);
}

bool symbol_at(const tsql_statement& statement, std::size_t index, std::string_view symbol) {
  return index < statement.size() && is_symbol(statement[index], symbol);
}

namespace {

// An ordinary statement goes through every step; the first refusal wins.
construct_error rewrite_ordinary(tsql_statement& statement) {
  using step = construct_error (*)(tsql_statement&);
  for (const step s : {rewrite_expressions, rewrite_ddl, rewrite_top, rewrite_offset_fetch,
                       rewrite_output}) {
    if (auto error = s(statement)) return error;
  }
  return std::nullopt;
}

// sp_executesql inside sp_executesql inside ... stops somewhere.
constexpr int max_exec_depth = 4;

construct_error rewrite_statements(std::vector<tsql_statement> statements, std::vector<rewritten_statement>& out,
                                   int depth);

// EXEC sp_executesql: its statement, parameters bound, rewritten like a batch of its own.
construct_error rewrite_exec(const tsql_statement& statement, std::vector<rewritten_statement>& out, int depth) {
  if (depth >= max_exec_depth) return "EXEC sp_executesql nested this deep";
  std::vector<tsql_token> inner;
  if (auto error = expand_sp_executesql(statement, inner)) return error;
  return rewrite_statements(split_statements(inner), out, depth + 1);
}

// Appends each statement's SQLite text, with its CAST result types, to `out`.
construct_error rewrite_statements(std::vector<tsql_statement> statements, std::vector<rewritten_statement>& out,
                                   int depth) {
  for (auto& statement : statements) {
    if (is_exec_sp_executesql(statement)) {
      if (auto error = rewrite_exec(statement, out, depth)) return error;
      continue;
    }
    std::vector<std::optional<std::string>> cast_types;
    auto control = rewrite_control_statement(statement);
    if (control.error) return control.error;
    if (control.handled) {
      if (!control.replacement.empty() && rewrite_ordinary(control.replacement)) return "IF";
      statement = std::move(control.replacement);
    } else {
      cast_types = take_select_cast_types(statement);
      if (auto error = rewrite_ordinary(statement)) return error;
    }
    if (statement.empty()) continue;
    out.push_back({render_tokens(statement), std::move(cast_types)});
  }
  return std::nullopt;
}

}  // namespace

rewrite_result rewrite_tsql(std::string_view tsql) {
  auto lexed = lex_tsql(tsql);
  if (lexed.error) return rewrite_result{{}, "T-SQL syntax error: " + *lexed.error, {}};
  std::vector<rewritten_statement> statements;
  if (auto error = rewrite_statements(split_statements(lexed.tokens), statements, 0)) {
    return rewrite_result{{}, "unsupported T-SQL construct: " + *error, {}};
  }
  std::string sql;
  for (const auto& statement : statements) {
    if (!sql.empty()) sql += ";\n";
    sql += statement.sql;
  }
  return rewrite_result{std::move(sql), std::nullopt, std::move(statements)};
}

}  // namespace tdsd
