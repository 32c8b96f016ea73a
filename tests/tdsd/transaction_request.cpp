#include "tests/tdsd/transaction_request.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "tests/tdsd/param_reader.hpp"
#include "tests/tdsd/rpc_request.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

constexpr std::uint16_t tm_begin = 5;
constexpr std::uint16_t tm_commit = 7;
constexpr std::uint16_t tm_rollback = 8;
constexpr std::uint8_t flag_begin_new = 0x01;

std::optional<std::string> run(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) == SQLITE_OK) return std::nullopt;
  std::string why = error ? error : sqlite3_errmsg(db);
  sqlite3_free(error);
  return why;
}

std::optional<std::string> begin(sqlite3* db) {
  if (sqlite3_get_autocommit(db) == 0) return std::nullopt;
  return run(db, "BEGIN");
}

}  // namespace

transaction_request parse_transaction_request(std::span<const std::uint8_t> payload) {
  byte_reader r(payload);
  r.seek(skip_all_headers(payload));
  const std::uint16_t type = r.u16();
  transaction_request out;
  if (type == tm_begin) return out;
  if (type != tm_commit && type != tm_rollback) {
    throw unsupported_request(fmt::format("transaction manager request {} is not supported by tdsd", type));
  }
  out.action = type == tm_commit ? transaction_request::kind::commit : transaction_request::kind::rollback;
  r.utf16(r.u8());  // transaction name: SQLite has no named transactions
  out.begin_after = r.remaining() > 0 && (r.u8() & flag_begin_new);
  return out;
}

std::optional<std::string> apply_transaction_request(sqlite3* db, const transaction_request& request) {
  if (request.action == transaction_request::kind::begin) return begin(db);
  if (sqlite3_get_autocommit(db) == 0) {
    run(db, request.action == transaction_request::kind::commit ? "COMMIT" : "ROLLBACK");
  }
  return request.begin_after ? begin(db) : std::nullopt;
}

}  // namespace tdsd
