#include "tests/tdsd/tsql_rewrite.hpp"

#include <cctype>

namespace tdsd {

rewrite_result rewrite_tsql(std::string_view tsql) {
  return rewrite_result{std::string(tsql), std::nullopt};
}

namespace {

bool is_go_line(std::string_view line) {
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
  return line.size() == 2 && std::toupper(static_cast<unsigned char>(line[0])) == 'G' &&
         std::toupper(static_cast<unsigned char>(line[1])) == 'O';
}

}  // namespace

std::vector<std::string> split_go_batches(std::string_view script) {
  std::vector<std::string> batches;
  std::string current;
  while (!script.empty()) {
    const auto end = script.find('\n');
    const auto line = script.substr(0, end);
    if (is_go_line(line)) {
      batches.push_back(std::move(current));
      current.clear();
    } else {
      current.append(line).push_back('\n');
    }
    script.remove_prefix(end == std::string_view::npos ? script.size() : end + 1);
  }
  batches.push_back(std::move(current));
  return batches;
}

}  // namespace tdsd
