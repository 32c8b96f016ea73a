#pragma once
// JSON text written straight into a std::string, for the hot paths (result rows, access
// lines) where building a Boost.JSON value first cost an allocation per field.

#include <string>
#include <string_view>

namespace gateway {

/// Appends `text` as a JSON string, escaped as Boost.JSON's serializer does: `"` and
/// `\`, control characters (short forms \b \t \n \f \r, else \u00xx); every other
/// byte, invalid UTF-8 included, is copied unchanged.
void append_json_string(std::string& out, std::string_view text);

}  // namespace gateway
