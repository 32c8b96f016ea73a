#include "tests/tdsd/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace tdsd {

void log_line(std::string_view line) {
  static std::mutex mutex;
  const std::string text = fmt::format("tdsd: {}\n", line);
  std::lock_guard lock(mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace tdsd
