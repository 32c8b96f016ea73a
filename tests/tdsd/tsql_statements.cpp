#include "tests/tdsd/tsql_statements.hpp"

#include <array>
#include <string>
#include <string_view>

namespace tdsd {

namespace {

constexpr std::array<std::string_view, 27> statement_keywords{
    "SELECT", "INSERT",   "UPDATE", "DELETE",  "SET",     "BEGIN",  "COMMIT",
    "ROLLBACK", "CREATE", "DROP",   "ALTER",   "TRUNCATE", "IF",    "WHILE",
    "WAITFOR", "USE",     "DECLARE", "EXEC",   "EXECUTE", "MERGE",  "PRINT",
    "RAISERROR", "THROW", "RETURN", "SAVE",    "DEALLOCATE", "GOTO"};

bool is_statement_keyword(const std::string& upper) {
  for (const auto kw : statement_keywords) {
    if (upper == kw) return true;
  }
  return false;
}

/// What the splitter knows about the statement being collected.
struct statement_state {
  std::string lead;             // the verb that decides what may follow (upper case)
  bool if_needs_body = false;   // IF's condition is read, its one-statement body is next
  bool with_needs_main = false; // a CTE's main statement is next
  bool select_seen = false;     // INSERT already has its SELECT or VALUES
  bool set_seen = false;        // UPDATE already has its SET
};

bool prev_is(const tsql_token* prev, std::initializer_list<std::string_view> words) {
  if (prev == nullptr) return false;
  for (const auto w : words) {
    if (is_word(*prev, w) || is_symbol(*prev, w)) return true;
  }
  return false;
}

// Whether keyword `kw` at depth 0 belongs to the current statement rather than starting one.
bool continues(const statement_state& state, const tsql_token* prev, const std::string& kw) {
  if (kw == "SELECT") {
    return prev_is(prev, {"UNION", "ALL", "EXCEPT", "INTERSECT"}) ||
           (state.lead == "INSERT" && !state.select_seen) ||
           (state.lead == "CREATE" && prev_is(prev, {"AS"}));
  }
  if (kw == "INSERT" || kw == "UPDATE" || kw == "DELETE") {
    // ON DELETE CASCADE, FOR INSERT, INSTEAD OF UPDATE, GRANT SELECT, INSERT
    return prev_is(prev, {"ON", ",", "FOR", "OF", "AFTER"});
  }
  if (kw == "IF") {  // DROP TABLE IF EXISTS, CREATE TABLE IF NOT EXISTS
    return state.lead == "DROP" || state.lead == "CREATE";
  }
  if (kw == "ALTER") return prev_is(prev, {"OR"});  // CREATE OR ALTER
  if (kw == "SET") {
    return (state.lead == "UPDATE" && !state.set_seen) || prev_is(prev, {"DELETE", "UPDATE"});
  }
  return false;
}

void note_keyword(statement_state& state, const std::string& kw) {
  if (kw == "SELECT" && state.lead == "INSERT") state.select_seen = true;
  if (kw == "SET" && state.lead == "UPDATE") state.set_seen = true;
}

/// Collects tokens into statements, one token at a time.
class splitter {
 public:
  void add(const tsql_token& token) {
    if (is_symbol(token, ";")) {
      finish();
      return;
    }
    if (depth_ == 0 && token.kind == tsql_token_kind::word) at_depth0_word(token);
    if (is_symbol(token, "(")) ++depth_;
    if (is_symbol(token, ")") && depth_ > 0) --depth_;
    current_.push_back(token);
  }

  std::vector<tsql_statement> done() {
    finish();
    return std::move(statements_);
  }

 private:
  void at_depth0_word(const tsql_token& token) {
    const auto upper = upper_ascii(token.text);
    const tsql_token* prev = current_.empty() ? nullptr : &current_.back();
    if (upper == "VALUES" && state_.lead == "INSERT") state_.select_seen = true;
    if (!is_statement_keyword(upper) || prev_is(prev, {"."})) {
      if (current_.empty() && upper == "WITH") state_.with_needs_main = true;
      return;
    }
    if (current_.empty()) {
      start(upper);
    } else if (state_.if_needs_body || (state_.with_needs_main && upper != "SET")) {
      // IF's body and a CTE's main statement stay in the statement that introduced them.
      state_ = statement_state{};
      start(upper);
    } else if (continues(state_, prev, upper)) {
      note_keyword(state_, upper);
    } else {
      finish();
      start(upper);
    }
  }

  void start(const std::string& lead) {
    state_.lead = lead;
    state_.if_needs_body = lead == "IF";
  }

  void finish() {
    if (!current_.empty()) {
      current_.front().space_before = false;
      statements_.push_back(std::move(current_));
    }
    current_.clear();
    state_ = statement_state{};
    depth_ = 0;
  }

  std::vector<tsql_statement> statements_;
  tsql_statement current_;
  statement_state state_;
  int depth_ = 0;
};

}  // namespace

std::vector<tsql_statement> split_statements(const std::vector<tsql_token>& tokens) {
  splitter s;
  for (const auto& token : tokens) s.add(token);
  return s.done();
}

}  // namespace tdsd
