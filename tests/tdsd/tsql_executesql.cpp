// EXEC sp_executesql N'stmt', N'@a int, @b nvarchar(10)', @a = 1, @b = N'x' sent as a
// language batch (what tsql, SSMS scripts and traces contain): the statement's tokens with
// each parameter replaced by its literal value. RPC calls of sp_executesql never get here;
// the server binds their parameters itself.
#include <cctype>
#include <utility>

#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {

namespace {

bool is_string_literal(const tsql_token& t) {
  return t.kind == tsql_token_kind::string || t.kind == tsql_token_kind::unicode_string;
}

// The text of a string literal token: without N, quotes, and with '' unescaped.
std::string literal_text(const tsql_token& t) {
  const auto start = t.text.find('\'') + 1;
  std::string out;
  for (std::size_t i = start; i + 1 < t.text.size(); ++i) {
    out.push_back(t.text[i]);
    if (t.text[i] == '\'') ++i;
  }
  return out;
}

/// One argument after the two strings: `@name = value` or a bare positional value.
struct argument {
  std::string name;  // lower case, with @; empty for a positional value
  tsql_statement value;
};

// Splits the tokens after `EXEC sp_executesql` at depth-0 commas.
std::vector<tsql_statement> split_arguments(const tsql_statement& s, std::size_t from) {
  std::vector<tsql_statement> args(1);
  int depth = 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    if (is_symbol(s[i], "(")) ++depth;
    if (is_symbol(s[i], ")")) --depth;
    if (depth == 0 && is_symbol(s[i], ",")) {
      args.emplace_back();
    } else {
      args.back().push_back(s[i]);
    }
  }
  return args;
}

bool is_literal_value(const tsql_statement& v) {
  if (v.size() == 2) {
    return (is_symbol(v[0], "-") || is_symbol(v[0], "+")) && v[1].kind == tsql_token_kind::number;
  }
  if (v.size() != 1) return false;
  const auto k = v[0].kind;
  return k == tsql_token_kind::number || k == tsql_token_kind::binary || is_string_literal(v[0]) ||
         is_word(v[0], "NULL");
}

std::string lower_ascii(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

construct_error parse_argument(const tsql_statement& tokens, argument& out) {
  tsql_statement value = tokens;
  if (tokens.size() >= 2 && tokens[0].kind == tsql_token_kind::variable && is_symbol(tokens[1], "=")) {
    out.name = lower_ascii(tokens[0].text);
    value.erase(value.begin(), value.begin() + 2);
  }
  if (!value.empty() && (is_word(value.back(), "OUTPUT") || is_word(value.back(), "OUT"))) {
    return "sp_executesql OUTPUT parameters";
  }
  if (!is_literal_value(value)) return "sp_executesql parameter values other than literals";
  if (value.size() == 2) value = {raw_token("(" + value[0].text + value[1].text + ")")};  // -1
  out.value = std::move(value);
  out.value.front().space_before = true;
  return std::nullopt;
}

// The declared parameter names in order, lower case with @.
std::vector<std::string> declared_names(const std::string& declaration) {
  std::vector<std::string> names;
  for (const auto& t : lex_tsql(declaration).tokens) {
    if (t.kind == tsql_token_kind::variable) names.push_back(lower_ascii(t.text));
  }
  return names;
}

construct_error bind_values(const std::vector<std::string>& names, const std::vector<argument>& args,
                            std::vector<tsql_statement>& values) {
  values.assign(names.size(), {});
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::size_t slot = i;
    if (!args[i].name.empty()) {
      slot = names.size();
      for (std::size_t n = 0; n < names.size(); ++n) {
        if (names[n] == args[i].name) slot = n;
      }
    }
    if (slot >= names.size()) return "sp_executesql value for an undeclared parameter";
    values[slot] = args[i].value;
  }
  for (std::size_t n = 0; n < names.size(); ++n) {
    if (values[n].empty()) return "sp_executesql without a value for " + names[n];
  }
  return std::nullopt;
}

}  // namespace

bool is_exec_sp_executesql(const tsql_statement& s) {
  if (!word_at(s, 0, "EXEC") && !word_at(s, 0, "EXECUTE")) return false;
  std::size_t name = 1;
  if ((word_at(s, 1, "sys") || word_at(s, 1, "dbo")) && symbol_at(s, 2, ".")) name = 3;
  return word_at(s, name, "sp_executesql");
}

construct_error expand_sp_executesql(const tsql_statement& s, std::vector<tsql_token>& inner) {
  const std::size_t name = word_at(s, 1, "sp_executesql") ? 1 : 3;
  const auto raw_args = split_arguments(s, name + 1);
  if (raw_args.empty() || raw_args[0].size() != 1 || !is_string_literal(raw_args[0][0])) {
    return "sp_executesql without a statement literal";
  }
  auto lexed = lex_tsql(literal_text(raw_args[0][0]));
  if (lexed.error) return "sp_executesql statement: " + *lexed.error;
  std::vector<std::string> names;
  std::vector<argument> args;
  if (raw_args.size() > 1) {
    if (raw_args[1].size() != 1 || !is_string_literal(raw_args[1][0])) {
      return "sp_executesql without a parameter declaration literal";
    }
    names = declared_names(literal_text(raw_args[1][0]));
    for (std::size_t i = 2; i < raw_args.size(); ++i) {
      argument a;
      if (auto error = parse_argument(raw_args[i], a)) return error;
      args.push_back(std::move(a));
    }
  }
  std::vector<tsql_statement> values;
  if (auto error = bind_values(names, args, values)) return error;
  for (auto& t : lexed.tokens) {
    bool bound = false;
    for (std::size_t n = 0; n < names.size() && t.kind == tsql_token_kind::variable; ++n) {
      if (lower_ascii(t.text) != names[n]) continue;
      auto value = values[n];
      value.front().space_before = t.space_before;
      inner.insert(inner.end(), value.begin(), value.end());
      bound = true;
      break;
    }
    if (!bound) inner.push_back(t);
  }
  return std::nullopt;
}

}  // namespace tdsd
