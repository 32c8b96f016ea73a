#pragma once
// db-lib plumbing for the interop client: login, batches, sp_executesql, results as text.
#include <sybfront.h>
#include <sybdb.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace tdsd_interop {

/// The last server message and db-lib error seen by the handlers (one per thread).
struct diagnostics {
  int message_number = 0;  // from the server (severity > 10)
  std::string message;
  int db_error = 0;        // from db-lib itself
  std::string db_message;
  int timeouts = 0;
};

/// This thread's diagnostics; reset before each command.
diagnostics& last_diagnostics();

/// dbinit and the error/message handlers, once per process.
void init_dblib();

/// Connection settings shared by every mode.
struct target {
  std::string address;  // host:port
  std::string user;
  std::string database;
  std::string password;
};

/// One db-lib connection, closed on destruction.
class session {
 public:
  /// Logs in; `ok()` tells whether it worked.
  explicit session(const target& t);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// True when the login succeeded.
  bool ok() const { return proc_ != nullptr; }
  /// The db-lib handle.
  DBPROCESS* proc() const { return proc_; }

 private:
  DBPROCESS* proc_ = nullptr;
};

/// One value: its db-lib type and its text ("NULL" for NULL, hex for binary).
struct cell {
  int type = 0;
  std::string text;
};

/// The rows of one result set.
using result_set = std::vector<std::vector<cell>>;

/// All result sets of a command, or nothing when the server failed it.
using results = std::optional<std::vector<result_set>>;

/// Runs a language batch and collects its results.
results run_batch(DBPROCESS* proc, const std::string& sql);

/// One sp_executesql parameter: db-lib type and raw bytes.
struct rpc_param {
  std::string name;
  int type = SYBNTEXT;
  std::vector<BYTE> bytes;
  bool null = false;
};

/// A fixed-size parameter (int, bigint, float, bit, datetime2) from its C value.
template <typename T>
rpc_param scalar(std::string name, int type, T value) {
  rpc_param p{std::move(name), type, std::vector<BYTE>(sizeof(T)), false};
  std::memcpy(p.bytes.data(), &value, sizeof(T));
  return p;
}

/// A UTF-8 text parameter, sent as NVARCHAR(MAX).
rpc_param text_param(std::string name, const std::string& value);

/// Runs sp_executesql (named, as db-lib sends it) and collects its results.
results run_rpc(DBPROCESS* proc, const std::string& sql, const std::string& declaration,
                std::vector<rpc_param> params);

}  // namespace tdsd_interop
