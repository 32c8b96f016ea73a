#include "tds_pool/freetds/freetds_runtime.hpp"

#include <sybfront.h>
#include <sybdb.h>

#include <mutex>

namespace tds_pool::detail {
namespace {

thread_local diagnostics* current_login = nullptr;

diagnostics* diagnostics_for(DBPROCESS* proc) {
    if (proc != nullptr) {
        if (auto* diag = reinterpret_cast<diagnostics*>(dbgetuserdata(proc))) {
            return diag;
        }
    }
    // During dbopen the DBPROCESS has no user data yet.
    return current_login;
}

// Never returns INT_EXIT: db-lib's default handler may exit() the whole gateway.
int on_error(DBPROCESS* proc, int /*severity*/, int dberr, int /*oserr*/, char* dberrstr,
             char* /*oserrstr*/) {
    diagnostics* diag = diagnostics_for(proc);
    if (diag == nullptr) {
        return INT_CANCEL;
    }
    if (dberr == SYBETIME) {
        ++diag->timeouts;
        // First time-out of a query: FreeTDS sends ATTENTION and the connection survives.
        // A repeat (the server ignores the cancel) or a login time-out gives up.
        if (!diag->in_login && diag->timeouts == 1) {
            return INT_TIMEOUT;
        }
    }
    diag->last_db_error = dberr;
    diag->last_db_message = dberrstr != nullptr ? dberrstr : "";
    return INT_CANCEL;
}

int on_message(DBPROCESS* proc, DBINT msgno, int msgstate, int severity, char* msgtext,
               char* /*srvname*/, char* /*proc*/, int /*line*/) {
    diagnostics* diag = diagnostics_for(proc);
    // Severity 10 and below are informational (5701 database changed, ...).
    if (diag != nullptr && severity > 10 && !diag->server_error) {
        diag->server_error =
            sql_error_info{msgno, severity, msgstate, msgtext != nullptr ? msgtext : ""};
    }
    return 0;
}

}  // namespace

void ensure_freetds_initialized() {
    static std::once_flag once;
    std::call_once(once, [] {
        dbinit();
        dberrhandle(on_error);
        dbmsghandle(on_message);
    });
}

login_scope::login_scope(diagnostics& diag) : previous_(current_login) {
    diag.in_login = true;
    current_login = &diag;
}

login_scope::~login_scope() {
    if (current_login != nullptr) {
        current_login->in_login = false;
    }
    current_login = previous_;
}

}  // namespace tds_pool::detail
