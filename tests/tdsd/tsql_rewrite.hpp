#pragma once
// T-SQL -> SQLite rewriting for tdsd (this file's body is a pass-through placeholder).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdsd {

/// The outcome of rewriting one batch: SQLite SQL, or why it cannot be run.
struct rewrite_result {
  std::string sql;
  std::optional<std::string> error;  // "unsupported T-SQL construct: X"
};

/// Rewrites T-SQL statement(s) into SQLite SQL.
rewrite_result rewrite_tsql(std::string_view tsql);

/// Splits an init script into batches at lines holding only `GO`.
std::vector<std::string> split_go_batches(std::string_view script);

}  // namespace tdsd
