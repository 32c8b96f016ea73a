// The target types of a SELECT's top-level CAST / CONVERT items. SQL Server types such a
// result column by the CAST's target; SQLite reports no declared type for an expression,
// so the rewriter hands the T-SQL type to the executor beside the SQL. Targets whose
// value SQLite would spoil are rewritten here too (only at the top level, where the
// value goes straight to the client):
//   DECIMAL/NUMERIC/MONEY  -> CAST(x AS TEXT) COLLATE TDS_DECIMAL (digits kept exact, as in
//                             a decimal column; the encoder rounds them to the scale)
//   [N][VAR]CHAR(n)        -> substr(CAST(x AS ...), 1, n) (SQL Server cuts to the length;
//                             no length in a CAST means 30)
//   [VAR]BINARY(n)         -> substr(CAST(x AS BLOB), 1, n) (SQLite would read VARBINARY
//                             as NUMERIC and turn 'abc' into 0)
#include <array>

#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {
namespace {

// A CAST or CONVERT without a length takes 30 for character types (SQL Server's rule).
constexpr const char* default_cast_length = "30";

struct token_range {
  std::size_t first;
  std::size_t last;  // one past the end
};

bool ends_select_list(const tsql_token& t) {
  static constexpr std::array<std::string_view, 10> words{
      "FROM", "INTO", "WHERE", "GROUP", "HAVING", "ORDER", "UNION", "EXCEPT", "INTERSECT", "OPTION"};
  for (const auto w : words) {
    if (is_word(t, w)) return true;
  }
  return false;
}

// Where the select list starts: after SELECT, DISTINCT/ALL and TOP n / TOP (expr).
std::size_t select_list_start(const tsql_statement& s) {
  std::size_t i = 1;
  if (word_at(s, i, "DISTINCT") || word_at(s, i, "ALL")) ++i;
  if (word_at(s, i, "TOP")) {
    i = symbol_at(s, i + 1, "(") ? matching_paren(s, i + 1) + 1 : i + 2;
  }
  return i;
}

// The items of the select list, split at commas outside parentheses.
std::vector<token_range> select_items(const tsql_statement& s) {
  std::vector<token_range> items;
  std::size_t first = select_list_start(s);
  int depth = 0;
  std::size_t i = first;
  for (; i < s.size(); ++i) {
    if (is_symbol(s[i], "(")) ++depth;
    if (is_symbol(s[i], ")")) --depth;
    if (depth != 0) continue;
    if (ends_select_list(s[i])) break;
    if (is_symbol(s[i], ",")) {
      items.push_back({first, i});
      first = i + 1;
    }
  }
  if (first < i) items.push_back({first, i});
  return items;
}

bool is_alias(const tsql_token& t) {
  return t.kind == tsql_token_kind::word || t.kind == tsql_token_kind::quoted_identifier ||
         t.kind == tsql_token_kind::bracket_identifier || t.kind == tsql_token_kind::string;
}

// True when `item` is the call at its start, optionally followed by `[AS] alias`.
bool is_whole_call(const tsql_statement& s, token_range item) {
  const auto close = matching_paren(s, item.first + 1);
  if (close == std::string::npos || close >= item.last) return false;
  const std::size_t rest = item.last - close - 1;
  if (rest == 0) return true;
  if (rest == 1) return is_alias(s[close + 1]) && !is_word(s[close + 1], "AS");
  return rest == 2 && is_word(s[close + 1], "AS") && is_alias(s[close + 2]);
}

// The `AS` of CAST(x AS type) whose `(` is at `open`, or npos.
std::size_t cast_as(const tsql_statement& s, std::size_t open, std::size_t close) {
  std::size_t as = std::string::npos;
  int depth = 0;
  for (std::size_t j = open + 1; j < close; ++j) {
    if (is_symbol(s[j], "(")) ++depth;
    if (is_symbol(s[j], ")")) --depth;
    if (depth == 0 && is_word(s[j], "AS")) as = j;
  }
  return as;
}

bool one_of(const tsql_token& t, std::initializer_list<std::string_view> words) {
  for (const auto w : words) {
    if (is_word(t, w)) return true;
  }
  return false;
}

// The length written in `type(n)`, or nullopt for (MAX) or no length.
std::optional<std::string> type_length(const tsql_statement& s, std::size_t type, std::size_t close, bool& is_max) {
  is_max = word_at(s, type + 2, "MAX");
  if (!symbol_at(s, type + 1, "(") || type + 2 >= close || is_max) return std::nullopt;
  if (s[type + 2].kind != tsql_token_kind::number) return std::nullopt;
  return s[type + 2].text;
}

// Wraps CAST(...) at [cast, close] in substr(..., 1, n).
void cut_to_length(tsql_statement& s, std::size_t cast, std::size_t close, const std::string& n) {
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(close + 1), raw_token(", 1, " + n + ")", false));
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(cast), raw_token("substr(", s[cast].space_before));
  s[cast + 1].space_before = false;
}

// Rewrites the target of CAST at `cast` where SQLite would spoil the value; returns the
// T-SQL type the result column carries.
std::string settle_cast(tsql_statement& s, std::size_t cast, std::size_t as, std::size_t close) {
  const std::size_t type = as + 1;
  std::string declared = upper_ascii(render_tokens(tsql_statement(s.begin() + static_cast<std::ptrdiff_t>(type),
                                                                   s.begin() + static_cast<std::ptrdiff_t>(close))));
  std::erase(declared, ' ');
  bool is_max = false;
  auto length = type_length(s, type, close, is_max);
  if (one_of(s[type], {"DECIMAL", "DEC", "NUMERIC", "MONEY", "SMALLMONEY"})) {
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(type), s.begin() + static_cast<std::ptrdiff_t>(close));
    s.insert(s.begin() + static_cast<std::ptrdiff_t>(type), raw_token("TEXT"));
    s.insert(s.begin() + static_cast<std::ptrdiff_t>(type + 2), raw_token("COLLATE TDS_DECIMAL"));
    return declared;
  }
  const bool binary = one_of(s[type], {"BINARY", "VARBINARY"});
  const bool character = one_of(s[type], {"CHAR", "VARCHAR", "NCHAR", "NVARCHAR"});
  if (!binary && !character) return declared;
  if (!length && !is_max) {
    length = default_cast_length;
    declared += "(" + *length + ")";
  }
  if (binary) {
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(type), s.begin() + static_cast<std::ptrdiff_t>(close));
    s.insert(s.begin() + static_cast<std::ptrdiff_t>(type), raw_token("BLOB"));
    close = type + 1;
  }
  if (length) cut_to_length(s, cast, close, *length);
  return declared;
}

// The type of one select item, when it is a whole CAST or CONVERT (CONVERT is made a
// CAST first); the item's tokens may change.
std::optional<std::string> item_cast_type(tsql_statement& s, token_range item) {
  if (!symbol_at(s, item.first + 1, "(") || !is_whole_call(s, item)) return std::nullopt;
  if (is_word(s[item.first], "CONVERT")) {
    // A CONVERT with a style stays as it is; rewrite_expressions refuses it.
    if (auto call = rewrite_call(s, item.first); call.error || !call.handled) return std::nullopt;
  }
  if (!is_word(s[item.first], "CAST")) return std::nullopt;
  const auto close = matching_paren(s, item.first + 1);
  const auto as = cast_as(s, item.first + 1, close);
  if (as == std::string::npos || as + 1 >= close || s[as + 1].kind != tsql_token_kind::word) return std::nullopt;
  return settle_cast(s, item.first, as, close);
}

}  // namespace

std::vector<std::optional<std::string>> take_select_cast_types(tsql_statement& s) {
  std::vector<std::optional<std::string>> types;
  if (!word_at(s, 0, "SELECT")) return types;
  auto items = select_items(s);
  // Items are handled last to first: rewriting one shifts the tokens after it.
  types.resize(items.size());
  for (std::size_t k = items.size(); k-- > 0;) {
    const auto& item = items[k];
    if (item.first == item.last) continue;
    const bool star = is_symbol(s[item.last - 1], "*");
    if (star) {
      // Columns after a * cannot be counted from the statement: no types from here on.
      types.resize(k);
      continue;
    }
    types[k] = item_cast_type(s, item);
  }
  while (!types.empty() && !types.back()) types.pop_back();
  return types;
}

}  // namespace tdsd
