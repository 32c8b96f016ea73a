#include "tests/tdsd/sql_value.hpp"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace tdsd {

std::int64_t sql_value::as_integer() const {
  switch (type) {
    case kind::integer:
      return integer;
    case kind::real:
      return std::isfinite(real) ? static_cast<std::int64_t>(real) : 0;
    case kind::text:
      return std::strtoll(bytes.c_str(), nullptr, 10);
    default:
      return 0;
  }
}

double sql_value::as_real() const {
  switch (type) {
    case kind::integer:
      return static_cast<double>(integer);
    case kind::real:
      return real;
    case kind::text:
      return std::strtod(bytes.c_str(), nullptr);
    default:
      return 0;
  }
}

std::string sql_value::as_text() const {
  switch (type) {
    case kind::integer:
      return fmt::format("{}", integer);
    case kind::real:
      return fmt::format("{}", real);
    case kind::text:
    case kind::blob:
      return bytes;
    default:
      return {};
  }
}

sql_value make_integer(std::int64_t v) {
  sql_value out;
  out.type = sql_value::kind::integer;
  out.integer = v;
  return out;
}

sql_value make_real(double v) {
  sql_value out;
  out.type = sql_value::kind::real;
  out.real = v;
  return out;
}

sql_value make_text(std::string v) {
  sql_value out;
  out.type = sql_value::kind::text;
  out.bytes = std::move(v);
  return out;
}

sql_value make_blob(std::string v) {
  sql_value out;
  out.type = sql_value::kind::blob;
  out.bytes = std::move(v);
  return out;
}

}  // namespace tdsd
