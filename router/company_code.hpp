#pragma once
// Company codes name tenants. They arrive in any case from URLs, hosts and headers
// and are compared and looked up only in their normalised, upper-case form.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace router {

/// Longest company code accepted.
inline constexpr std::size_t max_company_code_length = 64;

/// Upper-cases `raw` when it is a valid code, `[A-Za-z0-9_-]{1,64}`; std::nullopt
/// otherwise (empty, too long, or any other character, including surrounding space).
std::optional<std::string> normalize_company_code(std::string_view raw);

}  // namespace router
