// Built-in calls whose arguments move or repeat in SQLite: CONCAT, CONVERT, DATEADD, DATEDIFF,
// NEWID.
// The argument tokens are kept as they are; rewrite_expressions visits them afterwards.
#include <array>
#include <utility>

#include "tests/tdsd/tsql_rewrite_steps.hpp"

namespace tdsd {

namespace {

using argument_list = std::vector<tsql_statement>;

// The arguments of the call whose `(` is at `open` and `)` at `close`, split at depth-0 commas.
argument_list call_arguments(const tsql_statement& s, std::size_t open, std::size_t close) {
  argument_list args(1);
  int depth = 0;
  for (std::size_t i = open + 1; i < close; ++i) {
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

/// Builds replacement token lists from SQLite text pieces and argument copies.
class builder {
 public:
  builder& text(std::string sql) {
    out_.push_back(raw_token(std::move(sql), !out_.empty()));
    return *this;
  }
  builder& arg(const tsql_statement& tokens) {
    text("(");
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      out_.push_back(tokens[i]);
      out_.back().space_before = i > 0 && tokens[i].space_before;
    }
    out_.push_back(raw_token(")", false));
    return *this;
  }
  tsql_statement take() { return std::move(out_); }

 private:
  tsql_statement out_;
};

// CONCAT treats NULL as '': CONCAT(a, b) -> (IFNULL((a), '') || IFNULL((b), '')).
tsql_statement concat(const argument_list& args) {
  builder b;
  b.text("(");
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) b.text("||");
    b.text("IFNULL(").arg(args[i]).text(", '')");
  }
  return b.text(")").take();
}

std::optional<std::string> date_unit(const tsql_statement& arg) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> units{{
      {"YEAR", "years"}, {"YY", "years"}, {"YYYY", "years"}, {"MONTH", "months"}, {"MM", "months"},
      {"M", "months"}, {"DAY", "days"}, {"DD", "days"}, {"D", "days"}, {"HOUR", "hours"},
      {"HH", "hours"}, {"MINUTE", "minutes"}, {"MI", "minutes"}, {"N", "minutes"},
      {"SECOND", "seconds"}, {"SS", "seconds"}, {"S", "seconds"}}};
  if (arg.size() != 1 || arg[0].kind != tsql_token_kind::word) return std::nullopt;
  const auto name = upper_ascii(arg[0].text);
  for (const auto& [tsql, sqlite] : units) {
    if (name == tsql) return std::string(sqlite);
  }
  return std::nullopt;
}

// DATEADD(day, n, d) -> strftime('%Y-%m-%d %H:%M:%f', d, (n) || ' days').
tsql_statement dateadd(const std::string& unit, const argument_list& args) {
  builder b;
  b.text("strftime('%Y-%m-%d %H:%M:%f',").arg(args[2]).text(",").arg(args[1]).text("|| ' " + unit + "')");
  return b.take();
}

// CONVERT(type, x) -> CAST(x AS type); CAST's own rules then apply (rewrite_expressions).
tsql_statement convert(const argument_list& args) {
  const auto token = [](tsql_token_kind kind, const char* text, bool space) {
    return tsql_token{kind, text, space};
  };
  tsql_statement out{token(tsql_token_kind::word, "CAST", false), token(tsql_token_kind::symbol, "(", false)};
  out.insert(out.end(), args[1].begin(), args[1].end());
  out[2].space_before = false;
  out.push_back(token(tsql_token_kind::word, "AS", true));
  const auto type_at = out.size();
  out.insert(out.end(), args[0].begin(), args[0].end());
  out[type_at].space_before = true;
  out.push_back(token(tsql_token_kind::symbol, ")", false));
  return out;
}

// (year) or (year * 12 + month) of a date: DATEDIFF's calendar boundaries as numbers.
void calendar_index(builder& b, const std::string& unit, const tsql_statement& date) {
  b.text("(CAST(strftime('%Y',").arg(date).text(") AS INTEGER)");
  if (unit == "months") b.text("* 12 + CAST(strftime('%m',").arg(date).text(") AS INTEGER)");
  b.text(")");
}

// DATEDIFF counts unit boundaries crossed from args[1] to args[2].
tsql_statement datediff(const std::string& unit, const argument_list& args) {
  builder b;
  if (unit == "days") {
    b.text("CAST(julianday(date").arg(args[2]).text(") - julianday(date").arg(args[1]).text(") AS INTEGER)");
  } else if (unit == "months" || unit == "years") {
    b.text("(");
    calendar_index(b, unit, args[2]);
    b.text("-");
    calendar_index(b, unit, args[1]);
    b.text(")");
  } else {
    const std::string divisor = unit == "hours" ? "3600" : unit == "minutes" ? "60" : "1";
    b.text("(CAST(strftime('%s',").arg(args[2]).text(") AS INTEGER) / " + divisor + " - CAST(strftime('%s',")
        .arg(args[1]).text(") AS INTEGER) / " + divisor + ")");
  }
  return b.take();
}

// NEWID() -> a random version-4 GUID in SQL Server's upper-case text form.
constexpr const char* newid_sql =
    "(upper(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)"
    " || '-' || substr('89AB', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' ||"
    " hex(randomblob(6))))";

}  // namespace

call_rewrite rewrite_call(tsql_statement& s, std::size_t name) {
  const auto word = upper_ascii(s[name].text);
  if (word != "CONCAT" && word != "DATEADD" && word != "DATEDIFF" && word != "NEWID" && word != "CONVERT") {
    return {};
  }
  const auto close = matching_paren(s, name + 1);
  if (close == std::string::npos) return {true, word + " without a closing parenthesis"};
  const auto args = call_arguments(s, name + 1, close);
  tsql_statement replacement;
  if (word == "NEWID") {
    if (close != name + 2) return {true, "NEWID with arguments"};
    replacement.push_back(raw_token(newid_sql));
  } else if (word == "CONVERT") {
    if (args.size() != 2 || args[0].empty() || args[1].empty()) return {true, "CONVERT with a style"};
    replacement = convert(args);
  } else if (word == "CONCAT") {
    if (args.size() < 2) return {true, "CONCAT with fewer than two arguments"};
    replacement = concat(args);
  } else {
    const auto unit = args.size() == 3 ? date_unit(args[0]) : std::nullopt;
    if (!unit) return {true, word + " with this date part"};
    replacement = word == "DATEADD" ? dateadd(*unit, args) : datediff(*unit, args);
  }
  replacement.front().space_before = s[name].space_before;
  s.erase(s.begin() + static_cast<std::ptrdiff_t>(name), s.begin() + static_cast<std::ptrdiff_t>(close + 1));
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(name), replacement.begin(), replacement.end());
  return {true, std::nullopt};
}

}  // namespace tdsd
