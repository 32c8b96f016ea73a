#include "tests/tdsd/database_catalog.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/tdsd/sqlite_connection.hpp"
#include "tests/tdsd/tsql_rewrite.hpp"

namespace tdsd {
namespace {

namespace fs = std::filesystem;

std::string temp_database_path(std::string_view name) {
  std::string pattern = (fs::temp_directory_path() / fmt::format("tdsd-{}-{}-XXXXXX", getpid(), name)).string();
  const int fd = mkstemp(pattern.data());
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create a temp file for database {}", name));
  close(fd);
  return pattern;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read init script {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void run_init_script(sqlite_connection& db, const std::string& path) {
  int batch_number = 0;
  for (const auto& batch : split_go_batches(read_file(path))) {
    ++batch_number;
    const auto rewritten = rewrite_tsql(batch);
    if (rewritten.error) {
      throw std::runtime_error(fmt::format("{}: batch {}: {}", path, batch_number, *rewritten.error));
    }
    try {
      db.exec(rewritten.sql);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}: batch {}: {}", path, batch_number, e.what()));
    }
  }
}

void remove_database_files(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

// A tdsd killed with SIGKILL cannot remove its ":memory:" files; the next one does, for
// every "tdsd-<pid>-..." whose process is gone.
void remove_stale_temp_databases() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("tdsd-")) continue;
    const auto dash = name.find('-', 5);
    const std::string pid = name.substr(5, dash == std::string::npos ? 0 : dash - 5);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!fs::exists("/proc/" + pid)) fs::remove(entry.path(), ec);
  }
}

}  // namespace

database_catalog::database_catalog(const std::vector<database_config>& databases) {
  remove_stale_temp_databases();
  try {
    for (const auto& d : databases) {
      database_entry e{d.name, d.file, d.file == ":memory:"};
      if (e.temporary) e.path = temp_database_path(d.name);
      entries_.push_back(e);
      auto& held = *held_.emplace_back(std::make_unique<held_connection>());
      held.db = std::make_unique<sqlite_connection>(e.path, &held.identity, e.sharing());
      for (const auto& script : d.init) run_init_script(*held.db, script);
    }
  } catch (...) {
    close_held();
    for (const auto& e : entries_) {
      if (e.temporary) remove_database_files(e.path);
    }
    throw;
  }
}

database_catalog::~database_catalog() {
  close_held();
  for (const auto& e : entries_) {
    if (e.temporary) remove_database_files(e.path);
  }
}

const database_entry* database_catalog::find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (upper(e.name) == upper(name)) return &e;
  }
  return nullptr;
}

}  // namespace tdsd
