// Clauses that move: TOP becomes a trailing LIMIT, OFFSET/FETCH becomes LIMIT/OFFSET, and
// OUTPUT INSERTED/DELETED becomes a trailing RETURNING.
#include <utility>

#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {

namespace {

using token_range = std::pair<std::size_t, std::size_t>;  // [first, last)

tsql_statement slice(const tsql_statement& s, std::size_t first, std::size_t last) {
  return tsql_statement(s.begin() + static_cast<std::ptrdiff_t>(first),
                        s.begin() + static_cast<std::ptrdiff_t>(last));
}

void erase_range(tsql_statement& s, std::size_t first, std::size_t last) {
  s.erase(s.begin() + static_cast<std::ptrdiff_t>(first), s.begin() + static_cast<std::ptrdiff_t>(last));
}

void insert_at(tsql_statement& s, std::size_t at, const tsql_statement& tokens) {
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), tokens.begin(), tokens.end());
}

// The end of the query that starts at `from`: the `)` closing its parentheses, or the end.
std::size_t scope_end(const tsql_statement& s, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    if (is_symbol(s[i], "(")) ++depth;
    if (is_symbol(s[i], ")") && --depth < 0) return i;
  }
  return s.size();
}

bool has_word_at_depth0(const tsql_statement& s, token_range range,
                        std::initializer_list<std::string_view> words) {
  int depth = 0;
  for (std::size_t i = range.first; i < range.second; ++i) {
    if (is_symbol(s[i], "(")) ++depth;
    if (is_symbol(s[i], ")")) --depth;
    for (const auto w : words) {
      if (depth == 0 && is_word(s[i], w)) return true;
    }
  }
  return false;
}

// An expression taken out of its place, parenthesised so that it survives any context.
tsql_statement wrapped(const tsql_statement& expr) {
  if (expr.size() == 1) {
    tsql_statement one = expr;
    one.front().space_before = true;
    return one;
  }
  tsql_statement out{raw_token("(")};
  out.insert(out.end(), expr.begin(), expr.end());
  if (out.size() > 1) out[1].space_before = false;
  out.push_back(raw_token(")", false));
  return out;
}

// TOP n | TOP (expr) right after SELECT [DISTINCT|ALL] at s[select]; returns an error
// or, when there is a TOP, moves it to a LIMIT at the end of that SELECT's scope.
construct_error move_top(tsql_statement& s, std::size_t select) {
  std::size_t top = select + 1;
  if (word_at(s, top, "DISTINCT") || word_at(s, top, "ALL")) ++top;
  if (!word_at(s, top, "TOP")) return std::nullopt;
  std::size_t after = top + 2;
  tsql_statement count;
  if (symbol_at(s, top + 1, "(")) {
    const auto close = matching_paren(s, top + 1);
    if (close == std::string::npos) return "TOP without a closing parenthesis";
    count = slice(s, top + 2, close);
    after = close + 1;
  } else if (top + 1 < s.size() && (s[top + 1].kind == tsql_token_kind::number ||
                                    s[top + 1].kind == tsql_token_kind::variable)) {
    count = slice(s, top + 1, top + 2);
  } else {
    return "TOP without a count";
  }
  if (count.empty()) return "TOP without a count";
  if (word_at(s, after, "PERCENT")) return "TOP ... PERCENT";
  if (word_at(s, after, "WITH")) return "TOP ... WITH TIES";
  const auto end = scope_end(s, select + 1);
  if (has_word_at_depth0(s, {after, end}, {"UNION", "EXCEPT", "INTERSECT"})) {
    return "TOP in a UNION/EXCEPT/INTERSECT";
  }
  tsql_statement limit{raw_token("LIMIT")};
  const auto value = wrapped(count);
  limit.insert(limit.end(), value.begin(), value.end());
  insert_at(s, end, limit);
  erase_range(s, top, after);
  return std::nullopt;
}

// The index of the first depth-0 word of `words` in [from, to), or `to`.
std::size_t find_at_depth0(const tsql_statement& s, std::size_t from, std::size_t to,
                           std::initializer_list<std::string_view> words) {
  int depth = 0;
  for (std::size_t i = from; i < to; ++i) {
    if (is_symbol(s[i], "(")) ++depth;
    if (is_symbol(s[i], ")") && --depth < 0) return to;
    for (const auto w : words) {
      if (depth == 0 && is_word(s[i], w)) return i;
    }
  }
  return to;
}

// OFFSET x ROW[S] [FETCH FIRST|NEXT y ROW[S] ONLY] starting at s[offset].
construct_error move_offset(tsql_statement& s, std::size_t offset) {
  const auto end = scope_end(s, offset);
  const auto rows = find_at_depth0(s, offset + 1, end, {"ROW", "ROWS"});
  if (rows == end || rows == offset + 1) return std::nullopt;  // a column named Offset
  tsql_statement replacement{raw_token("LIMIT")};
  std::size_t last = rows + 1;
  if (word_at(s, rows + 1, "FETCH")) {
    if (!word_at(s, rows + 2, "NEXT") && !word_at(s, rows + 2, "FIRST")) return "FETCH";
    const auto fetch_rows = find_at_depth0(s, rows + 3, end, {"ROW", "ROWS"});
    if (fetch_rows == end || fetch_rows == rows + 3 || !word_at(s, fetch_rows + 1, "ONLY")) {
      return "FETCH without ROWS ONLY";
    }
    const auto count = wrapped(slice(s, rows + 3, fetch_rows));
    replacement.insert(replacement.end(), count.begin(), count.end());
    last = fetch_rows + 2;
  } else {
    replacement.push_back(raw_token("-1"));
  }
  replacement.push_back(raw_token("OFFSET"));
  const auto skip = wrapped(slice(s, offset + 1, rows));
  replacement.insert(replacement.end(), skip.begin(), skip.end());
  erase_range(s, offset, last);
  insert_at(s, offset, replacement);
  return std::nullopt;
}

// The data-changing verb of a statement, looking past a leading CTE.
std::string statement_verb(const tsql_statement& s) {
  const auto at = find_at_depth0(s, 0, s.size(), {"SELECT", "INSERT", "UPDATE", "DELETE"});
  return at < s.size() ? upper_ascii(s[at].text) : std::string();
}

// The OUTPUT column list with INSERTED./DELETED. prefixes removed.
construct_error output_columns(const tsql_statement& s, token_range range, const std::string& verb,
                               tsql_statement& columns) {
  for (std::size_t i = range.first; i < range.second; ++i) {
    const bool inserted = is_word(s[i], "INSERTED");
    const bool deleted = is_word(s[i], "DELETED");
    if ((inserted || deleted) && symbol_at(s, i + 1, ".")) {
      if (deleted && verb != "DELETE") return "OUTPUT DELETED in " + verb;
      if (inserted && verb == "DELETE") return "OUTPUT INSERTED in DELETE";
      auto column = s[i + 2 < range.second ? i + 2 : i];
      column.space_before = s[i].space_before;
      columns.push_back(column);
      i += 2;
      continue;
    }
    if (is_word(s[i], "INTO")) return "OUTPUT ... INTO";
    columns.push_back(s[i]);
  }
  return std::nullopt;
}

}  // namespace

construct_error rewrite_top(tsql_statement& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (word_at(s, i, "TOP") && i > 0 &&
        (is_word(s[i - 1], "UPDATE") || is_word(s[i - 1], "DELETE") || is_word(s[i - 1], "INSERT"))) {
      return "TOP in " + upper_ascii(s[i - 1].text);
    }
    if (word_at(s, i, "SELECT")) {
      if (auto error = move_top(s, i)) return error;
    }
  }
  return std::nullopt;
}

construct_error rewrite_offset_fetch(tsql_statement& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (word_at(s, i, "OFFSET") && !(i > 0 && is_symbol(s[i - 1], "."))) {
      if (auto error = move_offset(s, i)) return error;
    }
  }
  return std::nullopt;
}

construct_error rewrite_output(tsql_statement& s) {
  const auto verb = statement_verb(s);
  const auto output = find_at_depth0(s, 0, s.size(), {"OUTPUT"});
  if (output == s.size()) {
    if (verb == "SELECT" && find_at_depth0(s, 0, s.size(), {"INTO"}) < s.size()) {
      return "SELECT ... INTO";
    }
    return std::nullopt;
  }
  if (verb != "INSERT" && verb != "UPDATE" && verb != "DELETE") return "OUTPUT";
  const auto end = find_at_depth0(s, output + 1, s.size(),
                                  {"VALUES", "SELECT", "DEFAULT", "WHERE", "FROM"});
  tsql_statement returning{raw_token("RETURNING")};
  if (auto error = output_columns(s, {output + 1, end}, verb, returning)) return error;
  if (returning.size() == 1) return "OUTPUT without columns";
  erase_range(s, output, end);
  s.insert(s.end(), returning.begin(), returning.end());
  return std::nullopt;
}

}  // namespace tdsd
