#pragma once
// Reads one RPC parameter's TYPE_INFO and value and converts it to a SQLite-shaped value.
#include <stdexcept>

#include "tests/tdsd/sql_value.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {

/// A well-formed request tdsd does not implement (answered with an ERROR, connection kept).
struct unsupported_request : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reads TYPE_INFO + value. Integers and BIT bind as integers, floats/money/decimal as
/// reals, character types as UTF-8 text, binary as blobs, dates as ISO text.
sql_value read_param_value(byte_reader& r);

}  // namespace tdsd
