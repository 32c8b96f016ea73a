#pragma once
// Process-wide FreeTDS db-lib set-up. dbinit, the error handler and the message handler
// are global in db-lib, so they are installed once here and route every report to the
// diagnostics of the connection it concerns: through dbsetuserdata once a DBPROCESS
// exists, through a thread-local "current login" while dbopen runs.

#include <optional>
#include <string>

#include "tds_pool/sql_value.hpp"

struct tds_dblib_dbprocess;

namespace tds_pool::detail {

/// What the global handlers reported for one connection during one operation.
struct diagnostics {
    bool in_login = false;  ///< login time-outs end the attempt instead of cancelling
    int timeouts = 0;       ///< SYBETIME reports during the current operation
    std::optional<sql_error_info> server_error;  ///< first server message above severity 10
    int last_db_error = 0;          ///< last db-lib error number (SYBE*)
    std::string last_db_message;    ///< its text (never holds credentials)

    /// Forget everything reported for the previous operation.
    void reset() {
        timeouts = 0;
        server_error.reset();
        last_db_error = 0;
        last_db_message.clear();
    }
};

/// Calls dbinit and installs the handlers, once per process.
void ensure_freetds_initialized();

/// Routes handler reports on this thread to `diag` while a dbopen is in progress.
class login_scope {
public:
    /// Makes `diag` the current login's diagnostics on this thread.
    explicit login_scope(diagnostics& diag);
    ~login_scope();
    login_scope(const login_scope&) = delete;
    login_scope& operator=(const login_scope&) = delete;

private:
    diagnostics* previous_;
};

}  // namespace tds_pool::detail
