#pragma once
// SQLite errors reported with the numbers and wording SQL Server uses.
#include <string_view>

#include "tests/tdsd/tokens.hpp"

struct sqlite3;

namespace tdsd {

/// Maps the last SQLite error on `db` (from running `sql`) to a SQL Server message:
/// 2627 unique/primary key, 547 foreign key/check, 515 NOT NULL, 207 column,
/// 208 object, 102 syntax, 1222 lock timeout, 50000 otherwise.
server_message map_sqlite_error(sqlite3* db, std::string_view sql);

/// Error 137: a parameter the statement uses was not supplied.
server_message undeclared_variable(std::string_view name);

/// The first keyword of a statement, upper-cased (skips blanks and comments).
std::string first_keyword(std::string_view sql);

}  // namespace tdsd
