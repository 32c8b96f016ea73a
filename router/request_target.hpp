#pragma once
// The request-target of an HTTP request line, checked and percent-decoded once so
// that tenant resolution and route matching work on plain strings.

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "router/http_error.hpp"

namespace router {

/// A request-target in origin form, decoded.
struct parsed_target {
    std::string path;  ///< percent-decoded, starts with '/'
    /// Decoded query parameters in their order; '+' decodes to a space (form
    /// encoding); a key without '=' has an empty value; empty entries ("?", "&&") are
    /// skipped.
    std::vector<std::pair<std::string, std::string>> query;
};

/// Parses an origin-form target ("/path?query"). Rejects with 400 `bad_request`:
/// any other form (absolute, authority, asterisk), invalid percent-encoding, a NUL
/// anywhere, a `.` or `..` path segment (raw or encoded), and an encoded '/' inside a
/// segment (it would change how the path splits once decoded).
std::variant<parsed_target, http_error> parse_target(std::string_view target);

}  // namespace router
