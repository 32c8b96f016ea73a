#include "tests/tdsd/interop/dblib_session.hpp"

#include <mutex>

namespace tdsd_interop {

namespace {

thread_local diagnostics last;

// A first time-out sends an ATTENTION and keeps the connection usable (INT_TIMEOUT);
// INT_CANCEL everywhere else, since db-lib's default handler would exit() the process.
int on_error(DBPROCESS*, int, int dberr, int, char* text, char*) {
  last.db_error = dberr;
  if (dberr == SYBETIME) return ++last.timeouts == 1 ? INT_TIMEOUT : INT_CANCEL;
  last.db_message = text != nullptr ? text : "";
  return INT_CANCEL;
}

int on_message(DBPROCESS*, DBINT number, int, int severity, char* text, char*, char*, int) {
  if (severity > 10) {
    last.message_number = number;
    last.message = text != nullptr ? text : "";
  }
  return 0;
}

std::string hex(const BYTE* data, DBINT length) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (DBINT i = 0; i < length; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0x0F]);
  }
  return out;
}

cell read_cell(DBPROCESS* proc, int column) {
  cell c{dbcoltype(proc, column), "NULL"};
  const BYTE* data = dbdata(proc, column);
  const DBINT length = dbdatlen(proc, column);
  if (data == nullptr && length == 0) return c;
  if (c.type == SYBBINARY || c.type == SYBVARBINARY || c.type == SYBIMAGE) {
    c.text = hex(data, length);
    return c;
  }
  std::vector<char> buffer(static_cast<std::size_t>(length) * 2 + 64);
  const DBINT n = dbconvert(proc, c.type, data, length, SYBCHAR,
                            reinterpret_cast<BYTE*>(buffer.data()), static_cast<DBINT>(buffer.size()));
  c.text = n >= 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : "<unconvertible>";
  return c;
}

results read_results(DBPROCESS* proc) {
  std::vector<result_set> sets;
  RETCODE rc = SUCCEED;
  bool failed = false;
  while ((rc = dbresults(proc)) != NO_MORE_RESULTS) {
    if (rc == FAIL) {
      failed = true;
      if (DBDEAD(proc)) break;
      continue;
    }
    if (dbnumcols(proc) == 0) continue;
    result_set set;
    while (dbnextrow(proc) == REG_ROW) {
      std::vector<cell> row;
      for (int c = 1; c <= dbnumcols(proc); ++c) row.push_back(read_cell(proc, c));
      set.push_back(std::move(row));
    }
    sets.push_back(std::move(set));
  }
  if (failed) return std::nullopt;
  return sets;
}

bool add_param(DBPROCESS* proc, rpc_param& p) {
  static BYTE empty = 0;
  BYTE* data = p.bytes.empty() ? &empty : p.bytes.data();
  const DBINT length = p.null ? 0 : static_cast<DBINT>(p.bytes.size());
  return dbrpcparam(proc, p.name.c_str(), 0, p.type, -1, length, p.null ? nullptr : data) == SUCCEED;
}

}  // namespace

diagnostics& last_diagnostics() { return last; }

void init_dblib() {
  static std::once_flag once;
  std::call_once(once, [] {
    dbinit();
    dberrhandle(on_error);
    dbmsghandle(on_message);
  });
}

session::session(const target& t) {
  LOGINREC* login = dblogin();
  DBSETLUSER(login, t.user.c_str());
  DBSETLPWD(login, t.password.c_str());
  DBSETLAPP(login, "tdsd-interop-dblib");
  DBSETLDBNAME(login, t.database.c_str());
  DBSETLVERSION(login, DBVERSION_74);
  DBSETLCHARSET(login, "UTF-8");
  last = diagnostics{};
  proc_ = dbopen(login, t.address.c_str());
  dbloginfree(login);
}

session::~session() {
  if (proc_ != nullptr) dbclose(proc_);
}

results run_batch(DBPROCESS* proc, const std::string& sql) {
  last = diagnostics{};
  if (dbcmd(proc, sql.c_str()) == FAIL || dbsqlexec(proc) == FAIL) {
    dbcancel(proc);
    return std::nullopt;
  }
  return read_results(proc);
}

rpc_param text_param(std::string name, const std::string& value) {
  return rpc_param{std::move(name), SYBNTEXT, std::vector<BYTE>(value.begin(), value.end()), false};
}

results run_rpc(DBPROCESS* proc, const std::string& sql, const std::string& declaration,
                std::vector<rpc_param> params) {
  last = diagnostics{};
  params.insert(params.begin(), {text_param("@stmt", sql), text_param("@params", declaration)});
  if (dbrpcinit(proc, "sp_executesql", 0) == FAIL) return std::nullopt;
  for (auto& p : params) {
    if (!add_param(proc, p)) return std::nullopt;
  }
  if (dbrpcsend(proc) == FAIL || dbsqlok(proc) == FAIL) {
    dbcancel(proc);
    return std::nullopt;
  }
  return read_results(proc);
}

}  // namespace tdsd_interop
