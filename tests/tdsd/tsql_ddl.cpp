// CREATE TABLE and CREATE INDEX: IDENTITY primary keys become SQLite's AUTOINCREMENT rowid
// alias, text columns compare case-insensitively as under SQL Server's default collation,
// and storage options SQLite has no use for (CLUSTERED, ON [PRIMARY], WITH (...)) go.
#include <array>
#include <utility>

#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {

namespace {

void erase_range(tsql_statement& s, std::size_t first, std::size_t last) {
  s.erase(s.begin() + static_cast<std::ptrdiff_t>(first), s.begin() + static_cast<std::ptrdiff_t>(last));
}

void drop_clustered(tsql_statement& s) {
  for (std::size_t i = 0; i < s.size();) {
    if (is_word(s[i], "CLUSTERED") || is_word(s[i], "NONCLUSTERED")) {
      erase_range(s, i, i + 1);
    } else {
      ++i;
    }
  }
}

// One column definition [first, last) of a CREATE TABLE with IDENTITY in it:
// `Id INT IDENTITY(1,1) [NOT NULL] PRIMARY KEY` -> `Id INTEGER PRIMARY KEY AUTOINCREMENT`.
construct_error rewrite_identity_column(tsql_statement& s, std::size_t first, std::size_t& last) {
  std::size_t identity = first;
  while (identity < last && !is_word(s[identity], "IDENTITY")) ++identity;
  if (identity == last) return std::nullopt;
  std::size_t after = identity + 1;
  if (symbol_at(s, after, "(")) {
    const auto close = matching_paren(s, after);
    if (close == std::string::npos || close >= last) return "IDENTITY";
    after = close + 1;
  }
  bool primary_key = false;
  tsql_statement rest;  // the other constraints, kept
  for (std::size_t i = after; i < last; ++i) {
    if (is_word(s[i], "PRIMARY") && word_at(s, i + 1, "KEY")) {
      primary_key = true;
      ++i;
    } else {
      rest.push_back(s[i]);
    }
  }
  for (std::size_t i = first + 1; i < identity && !primary_key; ++i) {
    primary_key = is_word(s[i], "PRIMARY");
  }
  if (!primary_key) return "IDENTITY column without an inline PRIMARY KEY";
  tsql_statement column{s[first], raw_token("INTEGER PRIMARY KEY AUTOINCREMENT")};
  column.insert(column.end(), rest.begin(), rest.end());
  erase_range(s, first, last);
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(first), column.begin(), column.end());
  last = first + column.size();
  return std::nullopt;
}

// SQL Server's default collation compares text case-insensitively: SQLite's NOCASE is the
// nearest (ASCII letters only). A column that names its own collation keeps it.
void add_default_collation(tsql_statement& s, std::size_t first, std::size_t& last) {
  static constexpr std::array<std::string_view, 6> text_types{"NVARCHAR", "VARCHAR", "NCHAR",
                                                               "CHAR",     "NTEXT",   "TEXT"};
  if (first + 1 >= last) return;
  // The type may already be a rewrite's raw token (NVARCHAR(MAX) became NTEXT).
  const auto& type = s[first + 1];
  const bool named = type.kind == tsql_token_kind::word || type.kind == tsql_token_kind::raw;
  bool text = false;
  for (const auto name : text_types) text = text || (named && upper_ascii(type.text) == name);
  for (std::size_t i = first; text && i < last; ++i) text = !is_word(s[i], "COLLATE");
  if (!text) return;
  std::size_t at = first + 2;
  if (symbol_at(s, at, "(")) {
    const auto close = matching_paren(s, at);
    if (close == std::string::npos || close >= last) return;
    at = close + 1;
  }
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), raw_token("COLLATE NOCASE"));
  ++last;
}

// DECIMAL, NUMERIC and MONEY would take SQLite's NUMERIC affinity and turn a 38-digit
// value into an approximate REAL: `Price DECIMAL(12,2)` -> `Price DECIMAL_TEXT(12,2)
// COLLATE TDS_DECIMAL` keeps the digits as text (the name contains TEXT) and compares
// them as numbers; the declared type still names DECIMAL for the result's TYPE_INFO.
void exact_numeric_as_text(tsql_statement& s, std::size_t first, std::size_t& last) {
  static constexpr std::array<std::string_view, 5> exact_types{"DECIMAL", "DEC", "NUMERIC", "MONEY",
                                                                "SMALLMONEY"};
  if (first + 1 >= last || s[first + 1].kind != tsql_token_kind::word) return;
  bool exact = false;
  for (const auto name : exact_types) exact = exact || is_word(s[first + 1], name);
  if (!exact) return;
  s[first + 1] = raw_token(upper_ascii(s[first + 1].text) + "_TEXT");
  std::size_t at = first + 2;
  if (symbol_at(s, at, "(")) {
    const auto close = matching_paren(s, at);
    if (close == std::string::npos || close >= last) return;
    at = close + 1;
  }
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), raw_token("COLLATE TDS_DECIMAL"));
  ++last;
}

// Walks the parenthesised element list of CREATE TABLE name (...) starting at `open`.
construct_error rewrite_columns(tsql_statement& s, std::size_t open) {
  std::size_t first = open + 1;
  int depth = 0;
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    if (is_symbol(s[i], "(")) ++depth;
    const bool closes = is_symbol(s[i], ")") && depth-- == 0;
    if (closes || (depth == 0 && is_symbol(s[i], ","))) {
      std::size_t last = i;
      if (auto error = rewrite_identity_column(s, first, last)) return error;
      add_default_collation(s, first, last);
      exact_numeric_as_text(s, first, last);
      i = last;
      first = last + 1;
      if (closes) {
        erase_range(s, i + 1, s.size());  // ON [PRIMARY], TEXTIMAGE_ON, WITH (...)
        return std::nullopt;
      }
    }
  }
  return "CREATE TABLE without a closing parenthesis";
}

}  // namespace

construct_error rewrite_ddl(tsql_statement& s) {
  if (!word_at(s, 0, "CREATE")) return std::nullopt;
  drop_clustered(s);
  if (!word_at(s, 1, "TABLE")) return std::nullopt;
  std::size_t open = 2;
  while (open < s.size() && !is_symbol(s[open], "(")) ++open;
  if (open == s.size()) return std::nullopt;  // CREATE TABLE ... AS SELECT
  return rewrite_columns(s, open);
}

}  // namespace tdsd
