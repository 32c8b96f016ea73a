// Token-level rewrites inside any statement: built-in functions and system variables,
// '+' beside a string literal, (MAX) type names, the dbo schema prefix, table and query
// hints, CAST to date types, and the keywords of constructs SQLite cannot run.
#include <array>
#include <utility>

#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {

namespace {

constexpr const char* now_sql = "(strftime('%Y-%m-%d %H:%M:%f','now'))";

void erase(tsql_statement& s, std::size_t from, std::size_t count) {
  const auto first = s.begin() + static_cast<std::ptrdiff_t>(from);
  s.erase(first, first + static_cast<std::ptrdiff_t>(count));
}

bool is_call(const tsql_statement& s, std::size_t i) { return symbol_at(s, i + 1, "("); }
bool is_empty_call(const tsql_statement& s, std::size_t i) {
  return is_call(s, i) && symbol_at(s, i + 2, ")");
}

// Replaces the name and empty argument list at s[i] by one raw token.
void replace_call(tsql_statement& s, std::size_t i, std::string sql) {
  const bool space = s[i].space_before;
  erase(s, i + 1, 2);
  s[i] = raw_token(std::move(sql), space);
}

void rename(tsql_statement& s, std::size_t i, std::string name) {
  s[i] = raw_token(std::move(name), s[i].space_before);
}

construct_error rewrite_system_variable(tsql_statement& s, std::size_t i) {
  const auto name = upper_ascii(s[i].text);
  if (name == "@@SPID") {
    rename(s, i, "tdsd_spid()");
  } else if (name == "@@IDENTITY") {
    rename(s, i, "last_insert_rowid()");
  } else if (name == "@@TRANCOUNT") {
    rename(s, i, "tdsd_trancount()");
  } else if (name == "@@ROWCOUNT") {
    rename(s, i, "changes()");
  } else if (name == "@@OPTIONS") {
    rename(s, i, "tdsd_options()");
  } else if (name == "@@TEXTSIZE") {
    rename(s, i, "tdsd_textsize()");
  } else if (name == "@@VERSION") {
    rename(s, i, "('tdsd on SQLite ' || sqlite_version())");
  } else {
    return name;
  }
  return std::nullopt;
}

// NVARCHAR(MAX) -> NTEXT, VARCHAR(MAX) -> TEXT, VARBINARY(MAX) -> BLOB (see tsql_rewrite.hpp).
bool rewrite_max_type(tsql_statement& s, std::size_t i, const std::string& word) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> types{{
      {"NVARCHAR", "NTEXT"}, {"VARCHAR", "TEXT"}, {"VARBINARY", "BLOB"},
      {"NCHAR", "NTEXT"}, {"CHAR", "TEXT"}}};
  if (!symbol_at(s, i + 1, "(") || !word_at(s, i + 2, "MAX") || !symbol_at(s, i + 3, ")")) {
    return false;
  }
  for (const auto& [tsql, sqlite] : types) {
    if (word == tsql) {
      erase(s, i + 1, 3);
      rename(s, i, std::string(sqlite));
      return true;
    }
  }
  return false;
}

// WITH (NOLOCK) and friends only steer SQL Server's locking: dropped.
bool drop_table_hint(tsql_statement& s, std::size_t i) {
  static constexpr std::array<std::string_view, 14> hints{
      "NOLOCK", "ROWLOCK", "UPDLOCK", "HOLDLOCK", "READPAST", "TABLOCK", "TABLOCKX",
      "XLOCK", "PAGLOCK", "READCOMMITTED", "READUNCOMMITTED", "SERIALIZABLE",
      "REPEATABLEREAD", "NOWAIT"};
  if (!symbol_at(s, i + 1, "(") || i + 2 >= s.size()) return false;
  bool hint = false;
  for (const auto name : hints) hint = hint || is_word(s[i + 2], name);
  const auto close = matching_paren(s, i + 1);
  if (!hint || close == std::string::npos) return false;
  erase(s, i, close - i + 1);
  return true;
}

// CAST(x AS DATETIME2) would take SQLite's NUMERIC affinity and turn '2024-05-01' into
// 2024: date, time and GUID targets become TEXT, which keeps the value as written.
void rewrite_cast_target(tsql_statement& s, std::size_t i) {
  static constexpr std::array<std::string_view, 7> text_types{
      "DATETIME2", "DATETIME", "SMALLDATETIME", "DATE", "TIME", "DATETIMEOFFSET",
      "UNIQUEIDENTIFIER"};
  const auto close = matching_paren(s, i + 1);
  if (close == std::string::npos) return;
  std::size_t as = std::string::npos;
  int depth = 0;
  for (std::size_t j = i + 2; j < close; ++j) {
    if (is_symbol(s[j], "(")) ++depth;
    if (is_symbol(s[j], ")")) --depth;
    if (depth == 0 && is_word(s[j], "AS")) as = j;
  }
  if (as == std::string::npos || as + 1 >= close) return;
  bool text_type = false;
  for (const auto name : text_types) text_type = text_type || is_word(s[as + 1], name);
  if (!text_type) return;
  if (is_word(s[as + 1], "DATE") && as + 2 == close) {
    // CAST(x AS DATE) drops the time of day: SQLite's date(x).
    erase(s, as, close - as);
    rename(s, i, "date");
    return;
  }
  erase(s, as + 1, close - as - 1);
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(as + 1), raw_token("TEXT"));
}

// COLLATE Latin1_General_CI_AS -> NOCASE, ..._CS_AS / ..._BIN2 -> BINARY.
void rewrite_collation(tsql_statement& s, std::size_t name) {
  const auto collation = upper_ascii(s[name].text);
  if (collation.find("_CI") != std::string::npos) {
    rename(s, name, "NOCASE");
  } else if (collation.find("_CS") != std::string::npos || collation.find("_BIN") != std::string::npos) {
    rename(s, name, "BINARY");
  }
}

// LEN ignores trailing blanks: LEN(x) -> length(rtrim(x)).
void rewrite_len(tsql_statement& s, std::size_t i) {
  const auto close = matching_paren(s, i + 1);
  if (close == std::string::npos) return;
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(close + 1), raw_token(")", false));
  rename(s, i, "length(rtrim");
}

construct_error rejected_word(const tsql_statement& s, std::size_t i, const std::string& word) {
  if (word == "APPLY" && i > 0 && (is_word(s[i - 1], "CROSS") || is_word(s[i - 1], "OUTER"))) {
    return upper_ascii(s[i - 1].text) + " APPLY";
  }
  if ((word == "PIVOT" || word == "UNPIVOT") && is_call(s, i)) return word;
  if (word == "CURSOR") return "cursors";
  if (word == "EXEC" || word == "EXECUTE") return "EXEC";
  if (word == "MERGE" && i == 0) return "MERGE";
  if (word == "FOR" && i + 1 < s.size() && (is_word(s[i + 1], "JSON") || is_word(s[i + 1], "XML"))) {
    return "FOR " + upper_ascii(s[i + 1].text);
  }
  return std::nullopt;
}

// One word at s[i]; returns an error or rewrites in place (s may shrink after i).
construct_error rewrite_word(tsql_statement& s, std::size_t i) {
  const auto word = upper_ascii(s[i].text);
  if (auto error = rejected_word(s, i, word)) return error;
  const bool after_dot = i > 0 && is_symbol(s[i - 1], ".");
  if (after_dot) return std::nullopt;
  if (is_call(s, i)) {
    auto call = rewrite_call(s, i);
    if (call.error) return call.error;
    // CONVERT became a CAST, which is rewritten next; other calls are done.
    if (call.handled && !is_word(s[i], "CAST")) return std::nullopt;
  }
  if (is_word(s[i], "CAST") && is_call(s, i)) {
    rewrite_cast_target(s, i);
    return std::nullopt;
  }
  if ((word == "GETDATE" || word == "GETUTCDATE" || word == "SYSDATETIME" ||
       word == "SYSUTCDATETIME") && is_empty_call(s, i)) {
    replace_call(s, i, now_sql);
  } else if (word == "SCOPE_IDENTITY" && is_empty_call(s, i)) {
    replace_call(s, i, "last_insert_rowid()");
  } else if (word == "ISNULL" && is_call(s, i)) {
    rename(s, i, "IFNULL");
  } else if (word == "SUBSTRING" && is_call(s, i)) {
    rename(s, i, "substr");
  } else if (word == "LEN" && is_call(s, i)) {
    rewrite_len(s, i);
  } else if (word == "COLLATE" && i + 1 < s.size() && s[i + 1].kind == tsql_token_kind::word) {
    rewrite_collation(s, i + 1);
  } else if (word == "WITH") {
    drop_table_hint(s, i);
  } else if (word == "OPTION" && is_call(s, i) && matching_paren(s, i + 1) + 1 == s.size()) {
    erase(s, i, s.size() - i);  // OPTION (RECOMPILE) and other plan hints end a statement
    return std::nullopt;
  } else {
    rewrite_max_type(s, i, word);
  }
  return std::nullopt;
}

// dbo.Tickets / [dbo].[Tickets]: SQLite would read dbo as a database name.
bool is_dbo_prefix(const tsql_statement& s, std::size_t i) {
  const bool dbo = is_word(s[i], "DBO") ||
                   (s[i].kind == tsql_token_kind::bracket_identifier && upper_ascii(s[i].text) == "[DBO]");
  const bool after_dot = i > 0 && is_symbol(s[i - 1], ".");
  return dbo && !after_dot && symbol_at(s, i + 1, ".") && i + 2 < s.size();
}

void drop_dbo_prefix(tsql_statement& s, std::size_t i) {
  const bool space = s[i].space_before;
  erase(s, i, 2);
  s[i].space_before = space;
}

bool is_string_literal(const tsql_token& t) {
  return t.kind == tsql_token_kind::string || t.kind == tsql_token_kind::unicode_string;
}

// '+' beside a string literal concatenates in T-SQL (N'Dr. ' + Name); SQLite spells it ||.
bool next_to_string(const tsql_statement& s, std::size_t i) {
  return (i > 0 && is_string_literal(s[i - 1])) || (i + 1 < s.size() && is_string_literal(s[i + 1]));
}

}  // namespace

construct_error rewrite_expressions(tsql_statement& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_dbo_prefix(s, i)) drop_dbo_prefix(s, i);
    switch (s[i].kind) {
      case tsql_token_kind::temp_name:
        // A local #temp table lives in the client's own SQLite temp schema; ##global ones
        // would need a shared one.
        if (s[i].text.size() > 1 && s[i].text[1] == '#') return "##global temp tables";
        s[i] = raw_token("temp.\"" + s[i].text + "\"", s[i].space_before);
        break;
      case tsql_token_kind::system_variable:
        if (auto error = rewrite_system_variable(s, i)) return error;
        break;
      case tsql_token_kind::word:
        if (auto error = rewrite_word(s, i)) return error;
        break;
      case tsql_token_kind::symbol:
        if (is_symbol(s[i], "+") && next_to_string(s, i)) s[i] = raw_token("||", s[i].space_before);
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace tdsd
