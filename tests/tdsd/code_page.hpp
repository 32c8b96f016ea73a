#pragma once
// Code page 1252 <-> UTF-8 for VARCHAR/CHAR: SQL Server sends single-byte character data
// in its collation's code page (Latin1_General_CI_AS: 1252), SQLite keeps UTF-8. glibc's
// iconv does the conversion; 0x80-0x9F are where 1252 differs from Latin-1 (€, Š, œ, ...).
#include <span>
#include <string>
#include <string_view>

namespace tdsd {

/// UTF-8 text as code page 1252 bytes; a character 1252 cannot hold becomes '?', as
/// SQL Server stores it in a VARCHAR column of that collation.
std::string utf8_to_cp1252(std::string_view utf8);

/// Code page 1252 bytes as UTF-8 (the five unassigned bytes map to U+0081 etc.).
std::string cp1252_to_utf8(std::span<const std::uint8_t> bytes);

/// Number of 1252 bytes `utf8` takes (one per code point).
std::size_t cp1252_length(std::string_view utf8);

}  // namespace tdsd
