#pragma once
// Transaction manager requests (packet 0x0E): begin, commit, rollback on SQLite.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

struct sqlite3;

namespace tdsd {

/// A parsed transaction manager request.
struct transaction_request {
  enum class kind { begin, commit, rollback };
  kind action = kind::begin;
  bool begin_after = false;  // commit/rollback with flag 0x01: start a new transaction
};

/// Parses the payload; throws unsupported_request for other request types (DTC, savepoints)
/// and protocol_error when malformed.
transaction_request parse_transaction_request(std::span<const std::uint8_t> payload);

/// Applies the request to `db` (blocking). SQL Server nests BEGINs, SQLite does not, so a
/// BEGIN inside a transaction is a no-op; COMMIT/ROLLBACK without one is harmless.
/// Returns SQLite's error text when a BEGIN fails.
std::optional<std::string> apply_transaction_request(sqlite3* db, const transaction_request& request);

}  // namespace tdsd
