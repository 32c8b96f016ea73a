// split_go_batches: `GO` is a client-side separator (sqlcmd, SSMS), not T-SQL. A line is a
// separator only where it stands outside any string, delimited identifier or comment.
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <string>

#include "tests/tdsd/tsql_rewrite.hpp"

namespace tdsd {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// More repeats than any script needs; each one is a copy of the batch in memory.
constexpr int max_go_count = 1000;

// 0 when the line is no separator; otherwise how many times the batch runs (`GO 3`).
int go_count(std::string_view line) {
  line = trim(line.substr(0, line.find("--")));
  if (line.size() < 2 || std::toupper(static_cast<unsigned char>(line[0])) != 'G' ||
      std::toupper(static_cast<unsigned char>(line[1])) != 'O') {
    return 0;
  }
  const auto rest = trim(line.substr(2));
  if (rest.empty()) return 1;
  if (!std::isspace(static_cast<unsigned char>(line[2]))) return 0;
  int count = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), count);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && count > max_go_count)) {
    throw std::runtime_error("GO " + std::string(rest) + ": at most GO " + std::to_string(max_go_count));
  }
  return ec == std::errc{} && end == rest.data() + rest.size() && count > 0 ? count : 0;
}

/// Tracks whether the scan is inside a literal or comment that spans lines.
class line_state {
 public:
  bool at_top_level() const { return close_ == '\0' && comment_depth_ == 0; }

  void feed(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      const char next = i + 1 < line.size() ? line[i + 1] : '\0';
      if (comment_depth_ > 0) {
        if (c == '/' && next == '*') ++comment_depth_, ++i;
        else if (c == '*' && next == '/') --comment_depth_, ++i;
      } else if (close_ != '\0') {
        if (c == close_ && next == close_) ++i;
        else if (c == close_) close_ = '\0';
      } else if (c == '-' && next == '-') {
        return;
      } else if (c == '/' && next == '*') {
        ++comment_depth_, ++i;
      } else if (c == '\'' || c == '"') {
        close_ = c;
      } else if (c == '[') {
        close_ = ']';
      }
    }
  }

 private:
  char close_ = '\0';
  int comment_depth_ = 0;
};

bool blank(std::string_view batch) { return trim(batch).empty(); }

}  // namespace

std::vector<std::string> split_go_batches(std::string_view script) {
  std::vector<std::string> batches;
  std::string current;
  line_state state;
  while (!script.empty()) {
    const auto end = script.find('\n');
    const auto line = script.substr(0, end);
    const int count = state.at_top_level() ? go_count(line) : 0;
    if (count > 0) {
      for (int i = 0; i < count && !blank(current); ++i) batches.push_back(current);
      current.clear();
    } else {
      state.feed(line);
      current.append(line).push_back('\n');
    }
    script.remove_prefix(end == std::string_view::npos ? script.size() : end + 1);
  }
  if (!blank(current)) batches.push_back(std::move(current));
  return batches;
}

}  // namespace tdsd
