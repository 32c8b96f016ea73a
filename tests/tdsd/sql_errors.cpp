#include "tests/tdsd/sql_errors.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <string>

#include "tests/tdsd/config.hpp"

namespace tdsd {
namespace {

server_message msg(int number, int severity, std::string text) {
  return server_message{number, static_cast<std::uint8_t>(severity), 1, std::move(text)};
}

// "UNIQUE constraint failed: Tickets.Code, Tickets.Site" -> "Tickets"
std::string table_of(std::string_view detail) {
  const auto dot = detail.find('.');
  return std::string(detail.substr(0, dot));
}

// "NOT NULL constraint failed: Tickets.Code" -> "Code"
std::string column_of(std::string_view detail) {
  const auto dot = detail.find('.');
  return dot == std::string_view::npos ? std::string(detail) : std::string(detail.substr(dot + 1));
}

std::string after_colon(std::string_view text) {
  const auto colon = text.find(": ");
  return colon == std::string_view::npos ? std::string() : std::string(text.substr(colon + 2));
}

std::string verb_of(std::string_view sql) {
  const auto kw = first_keyword(sql);
  return kw.empty() ? "INSERT" : kw;
}

server_message unique_violation(bool primary, std::string_view detail) {
  const std::string table = table_of(detail);
  std::string columns(detail);
  for (std::size_t p; (p = columns.find(table + ".")) != std::string::npos;) columns.erase(p, table.size() + 1);
  for (auto& c : columns) c = c == ',' ? '_' : c;
  std::erase(columns, ' ');
  const std::string constraint = primary ? "PK_" + table : "UQ_" + table + "_" + columns;
  return msg(2627, 14,
             fmt::format("Violation of {} constraint '{}'. Cannot insert duplicate key in object 'dbo.{}'.",
                         primary ? "PRIMARY KEY" : "UNIQUE KEY", constraint, table));
}

}  // namespace

std::string first_keyword(std::string_view sql) {
  std::size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return {};
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      if (i == std::string_view::npos) return {};
      i += 2;
    } else {
      break;
    }
  }
  std::size_t end = i;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  return upper(sql.substr(i, end - i));
}

server_message map_sqlite_error(sqlite3* db, std::string_view sql) {
  const int code = sqlite3_extended_errcode(db);
  const std::string text = sqlite3_errmsg(db);
  const std::string detail = after_colon(text);
  switch (code) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return unique_violation(true, detail);
    case SQLITE_CONSTRAINT_UNIQUE:
      return unique_violation(false, detail);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return msg(547, 16, fmt::format("The {} statement conflicted with the FOREIGN KEY constraint.", verb_of(sql)));
    case SQLITE_CONSTRAINT_CHECK:
      return msg(547, 16,
                 fmt::format("The {} statement conflicted with the CHECK constraint \"{}\".", verb_of(sql), detail));
    case SQLITE_CONSTRAINT_NOTNULL:
      return msg(515, 16,
                 fmt::format("Cannot insert the value NULL into column '{}', table '{}'; column does not allow "
                             "nulls. {} fails.",
                             column_of(detail), table_of(detail), verb_of(sql)));
    default:
      break;
  }
  if ((code & 0xFF) == SQLITE_BUSY || (code & 0xFF) == SQLITE_LOCKED) {
    return msg(1222, 16, "Lock request time out period exceeded.");
  }
  if (text.starts_with("no such column: ")) return msg(207, 16, fmt::format("Invalid column name '{}'.", detail));
  if (text.starts_with("no such table: ")) {
    return msg(208, 16, fmt::format("Invalid object name '{}'.", detail.starts_with("main.") ? detail.substr(5) : detail));
  }
  if (text.starts_with("near \"")) {
    const auto end = text.find("\": syntax error");
    if (end != std::string::npos) return msg(102, 15, fmt::format("Incorrect syntax near '{}'.", text.substr(6, end - 6)));
  }
  if (text.find("syntax error") != std::string::npos || text == "incomplete input") {
    return msg(102, 15, "Incorrect syntax near the end of the batch.");
  }
  return msg(50000, 16, text);
}

server_message undeclared_variable(std::string_view name) {
  return msg(137, 15, fmt::format("Must declare the scalar variable \"{}\".", name));
}

}  // namespace tdsd
