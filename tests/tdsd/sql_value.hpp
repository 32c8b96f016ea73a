#pragma once
// One SQL value moving between SQLite and the TDS encoders.
#include <cstdint>
#include <string>

namespace tdsd {

/// A SQLite-shaped value: NULL, integer, real, UTF-8 text or blob bytes.
struct sql_value {
  enum class kind { null, integer, real, text, blob };
  kind type = kind::null;
  std::int64_t integer = 0;
  double real = 0;
  std::string bytes;  // text (UTF-8) or blob

  /// True for NULL.
  bool is_null() const { return type == kind::null; }
  /// The value as an integer (SQLite-like conversions).
  std::int64_t as_integer() const;
  /// The value as a double.
  double as_real() const;
  /// The value as text (numbers formatted, blobs as raw bytes).
  std::string as_text() const;
};

/// Makes an integer value.
sql_value make_integer(std::int64_t v);
/// Makes a real value.
sql_value make_real(double v);
/// Makes a text value from UTF-8.
sql_value make_text(std::string v);
/// Makes a blob value.
sql_value make_blob(std::string v);

}  // namespace tdsd
