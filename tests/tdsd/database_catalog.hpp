#pragma once
// The databases a tdsd serves: their SQLite files, prepared and initialised at start.
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
/// through the T-SQL rewriter, and removes temp files on destruction.
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
  std::vector<database_entry> entries_;
};

}  // namespace tdsd
