// Statements translated or rejected as a whole: session SETs, transactions, WAITFOR,
// IF OBJECT_ID(...) DROP TABLE, TRUNCATE, and the constructs SQLite has no answer to.
#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include "tests/tdsd/tsql_rewrite.hpp"
#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {

namespace {

control_outcome replaced(std::string sql) {
  control_outcome out;
  out.handled = true;
  out.replacement.push_back(raw_token(std::move(sql), false));
  return out;
}

control_outcome dropped() {
  control_outcome out;
  out.handled = true;
  return out;
}

control_outcome rejected(std::string construct) {
  control_outcome out;
  out.handled = true;
  out.error = std::move(construct);
  return out;
}

bool is_tran_word(const tsql_statement& s, std::size_t i) {
  return word_at(s, i, "TRAN") || word_at(s, i, "TRANSACTION") || word_at(s, i, "WORK");
}

// `SET <option> n` or `SET <option> -n` as a call of `function`; nullopt without a whole number.
std::optional<control_outcome> session_number(const tsql_statement& s, std::string_view function) {
  const bool negative = s.size() == 4 && is_symbol(s[2], "-");
  const std::size_t at = negative ? 3 : 2;
  if (s.size() != at + 1 || s[at].kind != tsql_token_kind::number) return std::nullopt;
  if (s[at].text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return replaced(std::string(function) + "(" + (negative ? "-" : "") + s[at].text + ")");
}

// SET ROWCOUNT n, SET TEXTSIZE n and SET IMPLICIT_TRANSACTIONS ON|OFF are session options
// tdsd honours (they cap result sets and (MAX) values, or open transactions): each becomes a call of a tdsd_set_ function, whose result the
// executor does not send. Other session options (SET NOCOUNT ON, ...) have no SQLite
// meaning: the statement is dropped. Assigning a variable is a different thing.
control_outcome rewrite_set(const tsql_statement& s) {
  if (s.size() > 1 && s[1].kind == tsql_token_kind::variable) return rejected("SET @variable");
  if (word_at(s, 1, "ROWCOUNT")) {
    const bool literal = s.size() == 3 && s[2].kind == tsql_token_kind::number;
    if (!literal) return rejected("SET ROWCOUNT without a number");
    return replaced(std::string(set_rowcount_call) + "(" + s[2].text + ")");
  }
  if (word_at(s, 1, "TEXTSIZE")) {
    if (auto call = session_number(s, set_textsize_call)) return std::move(*call);
    return rejected("SET TEXTSIZE without a whole number");
  }
  if (word_at(s, 1, "IMPLICIT_TRANSACTIONS")) {
    const bool on = word_at(s, 2, "ON");
    if (s.size() != 3 || (!on && !word_at(s, 2, "OFF"))) return rejected("SET IMPLICIT_TRANSACTIONS without ON or OFF");
    return replaced(std::string(set_implicit_transactions_call) + (on ? "(1)" : "(0)"));
  }
  return dropped();
}

// BEGIN TRAN[SACTION] [name]; BEGIN alone opens a block, BEGIN TRY a TRY...CATCH.
control_outcome rewrite_begin(const tsql_statement& s) {
  if (word_at(s, 1, "TRY") || word_at(s, 1, "CATCH")) return rejected("TRY...CATCH");
  if (word_at(s, 1, "DISTRIBUTED")) return rejected("BEGIN DISTRIBUTED TRANSACTION");
  if (!is_tran_word(s, 1) || word_at(s, 1, "WORK")) return rejected("BEGIN...END block");
  if (s.size() > 3) return rejected("BEGIN TRANSACTION WITH MARK");
  return replaced("BEGIN");
}

// COMMIT / ROLLBACK [TRAN[SACTION] | WORK] [name]: the name is the transaction's own.
control_outcome rewrite_end_transaction(const tsql_statement& s, const char* verb) {
  std::size_t used = 1;
  if (is_tran_word(s, 1)) used = 2;
  if (used == 2 && s.size() == 3 && s[2].kind != tsql_token_kind::symbol) used = 3;
  if (s.size() > used) return rejected(std::string(verb) + " with options");
  return replaced(verb);
}

// 'hh:mm[:ss[.fff]]' -> milliseconds.
std::optional<long long> parse_delay(std::string_view text) {
  std::array<long long, 3> parts{0, 0, 0};
  std::size_t part = 0;
  long long millis = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    long long value = 0;
    const auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc{} || next == p || value < 0 || value > 99) return std::nullopt;
    parts[part] = value;
    p = next;
    if (p == end) break;
    if (*p == '.' && part == 2) {
      std::string_view frac(p + 1, static_cast<std::size_t>(end - p - 1));
      if (frac.empty() || frac.size() > 3) return std::nullopt;
      for (char c : frac) {
        if (c < '0' || c > '9') return std::nullopt;
      }
      millis = std::stoll(std::string(frac) + std::string(3 - frac.size(), '0'));
      break;
    }
    if (*p != ':' || ++part > 2) return std::nullopt;
    ++p;
  }
  if (part == 0) return std::nullopt;
  return ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + millis;
}

// WAITFOR DELAY 'hh:mm:ss.fff' -> SELECT tdsd_sleep(ms); the server registers tdsd_sleep.
control_outcome rewrite_waitfor(const tsql_statement& s) {
  if (!word_at(s, 1, "DELAY")) return rejected("WAITFOR without DELAY");
  const bool literal = s.size() == 3 && (s[2].kind == tsql_token_kind::string ||
                                         s[2].kind == tsql_token_kind::unicode_string);
  if (!literal) return rejected("WAITFOR DELAY without a 'hh:mm:ss' literal");
  const auto& text = s[2].text;
  const auto start = text.find('\'') + 1;
  const auto ms = parse_delay(std::string_view(text).substr(start, text.size() - start - 1));
  if (!ms) return rejected("WAITFOR DELAY " + text + " (expected 'hh:mm:ss[.mmm]')");
  return replaced("SELECT tdsd_sleep(" + std::to_string(*ms) + ")");
}

// IF OBJECT_ID('x'[, 'U']) IS NOT NULL DROP TABLE x -> DROP TABLE IF EXISTS x.
control_outcome rewrite_if(const tsql_statement& s) {
  if (!word_at(s, 1, "OBJECT_ID") || !symbol_at(s, 2, "(")) return rejected("IF");
  const auto close = matching_paren(s, 2);
  if (close == std::string::npos) return rejected("IF");
  const auto i = close + 1;
  const bool drop_if_exists = word_at(s, i, "IS") && word_at(s, i + 1, "NOT") &&
                              word_at(s, i + 2, "NULL") && word_at(s, i + 3, "DROP") &&
                              word_at(s, i + 4, "TABLE");
  if (!drop_if_exists) return rejected("IF");
  control_outcome out;
  out.handled = true;
  out.replacement.push_back(raw_token("DROP TABLE IF EXISTS", false));
  out.replacement.insert(out.replacement.end(), s.begin() + static_cast<std::ptrdiff_t>(i + 5),
                         s.end());
  if (out.replacement.size() > 1) out.replacement[1].space_before = true;
  return out;
}

// TRUNCATE TABLE x -> DELETE FROM x (SQLite's truncate optimisation does the rest).
control_outcome rewrite_truncate(const tsql_statement& s) {
  if (!word_at(s, 1, "TABLE")) return rejected("TRUNCATE");
  control_outcome out;
  out.handled = true;
  out.replacement.push_back(raw_token("DELETE FROM", false));
  out.replacement.insert(out.replacement.end(), s.begin() + 2, s.end());
  return out;
}

control_outcome rewrite_create_or_drop(const tsql_statement& s, const std::string& verb) {
  static constexpr std::array<std::string_view, 10> objects{
      "DATABASE", "PROCEDURE", "PROC", "FUNCTION", "TRIGGER", "TYPE", "SCHEMA", "LOGIN", "USER", "SYNONYM"};
  const std::size_t object = word_at(s, 1, "OR") ? 3 : 1;  // CREATE OR ALTER PROCEDURE
  for (const auto name : objects) {
    if (word_at(s, object, name)) return rejected(verb + " " + std::string(name));
  }
  return {};
}

}  // namespace

control_outcome rewrite_control_statement(const tsql_statement& s) {
  if (s.empty() || s[0].kind != tsql_token_kind::word) return {};
  const auto verb = upper_ascii(s[0].text);
  if (verb == "SET") return rewrite_set(s);
  if (verb == "BEGIN") return rewrite_begin(s);
  if (verb == "COMMIT") return rewrite_end_transaction(s, "COMMIT");
  if (verb == "ROLLBACK") return rewrite_end_transaction(s, "ROLLBACK");
  if (verb == "WAITFOR") return rewrite_waitfor(s);
  if (verb == "IF") return rewrite_if(s);
  if (verb == "TRUNCATE") return rewrite_truncate(s);
  if (verb == "CREATE" || verb == "DROP" || verb == "ALTER") return rewrite_create_or_drop(s, verb);
  if (verb == "DECLARE") {
    for (const auto& t : s) {
      if (is_word(t, "CURSOR")) return rejected("cursors");
      if (is_word(t, "TABLE")) return rejected("table variables");
    }
    return rejected("DECLARE (variables)");
  }
  if (verb == "OPEN" || verb == "FETCH" || verb == "CLOSE" || verb == "DEALLOCATE") {
    return rejected("cursors");
  }
  if (verb == "EXECUTE") return rejected("EXEC");
  static constexpr std::array<std::string_view, 13> unsupported{
      "USE", "MERGE", "EXEC", "WHILE", "PRINT", "RAISERROR", "THROW", "RETURN",
      "GOTO", "SAVE", "DBCC", "GRANT", "REVOKE"};
  for (const auto name : unsupported) {
    if (verb == name) return rejected(std::string(name));
  }
  return {};
}

}  // namespace tdsd
