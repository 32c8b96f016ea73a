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

}  // namespace

database_catalog::database_catalog(const std::vector<database_config>& databases) {
  try {
    for (const auto& d : databases) {
      database_entry e{d.name, d.file, d.file == ":memory:"};
      if (e.temporary) e.path = temp_database_path(d.name);
      entries_.push_back(e);
      connection_identity setup{};
      sqlite_connection db(e.path, &setup);
      for (const auto& script : d.init) run_init_script(db, script);
    }
  } catch (...) {
    for (const auto& e : entries_) {
      if (e.temporary) remove_database_files(e.path);
    }
    throw;
  }
}

database_catalog::~database_catalog() {
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
