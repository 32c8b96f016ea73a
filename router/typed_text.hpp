#pragma once
// Route parameters of the types that travel as canonical text (decimal, date, time,
// datetimeoffset, uuid): the client's text is checked and rewritten into the one form
// SQL Server converts unambiguously from NVARCHAR, whatever its language settings.

#include <optional>
#include <string>
#include <string_view>

namespace router {

/// "-12.50" style digits (optional sign, digits, optional fraction; at most 38 digits,
/// as DECIMAL(38,s) holds); leading zeros dropped. nullopt when invalid.
std::optional<std::string> canonical_decimal(std::string_view text);

/// "YYYY-MM-DD" of a real calendar date (0001..9999).
std::optional<std::string> canonical_date(std::string_view text);

/// "HH:MM[:SS[.fffffff]]" -> "HH:MM:SS[.fffffff]" (1 to 7 fraction digits kept as given).
std::optional<std::string> canonical_time(std::string_view text);

/// "YYYY-MM-DD(T| )HH:MM[:SS[.f]](Z|±HH:MM)" -> "YYYY-MM-DDTHH:MM:SS[.f]±HH:MM"; the
/// offset is required (a value without one would be taken as UTC) and within ±14:00.
std::optional<std::string> canonical_datetimeoffset(std::string_view text);

/// 8-4-4-4-12 hex digits, optionally in braces -> upper case without braces.
std::optional<std::string> canonical_uuid(std::string_view text);

}  // namespace router
