#pragma once
// The databases a tdsd serves: their SQLite files, prepared and initialised at start.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/tdsd/config.hpp"
#include "tests/tdsd/sqlite_connection.hpp"

namespace tdsd {

/// One database ready to open: its name and SQLite file.
struct database_entry {
  std::string name;
  std::string path;
  bool temporary = false;  // ":memory:" databases live in a temp file removed at exit

  file_sharing sharing() const { return temporary ? file_sharing::this_process : file_sharing::processes; }
};

/// Creates the files (":memory:" = private temp file in WAL mode), runs the init scripts
/// through the T-SQL rewriter, and removes temp files on destruction. Each database's
/// setup connection stays open for the catalog's life: SQLite checkpoints and deletes a
/// WAL when its last connection closes, and with an empty WAL every read transaction
/// asks the file for its size (an fstat, one system call of about six per single-row
/// query); with the init scripts' frames kept in the WAL, it reads the size from the
/// WAL's index instead.
class database_catalog {
 public:
  /// Prepares every configured database; throws std::runtime_error naming the failing script.
  explicit database_catalog(const std::vector<database_config>& databases);
  ~database_catalog();
  database_catalog(const database_catalog&) = delete;
  database_catalog& operator=(const database_catalog&) = delete;

  /// Finds a database by name (case-insensitive).
  const database_entry* find(std::string_view name) const;
  /// The first configured database (the default for logins allowed "*").
  const database_entry& first() const { return entries_.front(); }

 private:
  /// A connection held open; its identity outlives it (SQLite's functions point to it).
  struct held_connection {
    connection_identity identity{};
    std::unique_ptr<sqlite_connection> db;
  };

  void close_held() noexcept { held_.clear(); }

  std::vector<database_entry> entries_;
  std::vector<std::unique_ptr<held_connection>> held_;
};

}  // namespace tdsd
