#pragma once
// RPC requests (packet 0x03): procedure name or id, then typed parameters.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tests/tdsd/sql_value.hpp"

namespace tdsd {

/// Skips ALL_HEADERS at the start of SQL_BATCH, RPC and transaction manager payloads;
/// returns the offset of the request body.
std::size_t skip_all_headers(std::span<const std::uint8_t> payload);

/// One parameter: its name (may be empty for positional ones) and value.
struct rpc_param {
  std::string name;
  sql_value value;
};

/// A parsed RPC: proc_id 10 is sp_executesql, otherwise `proc_name` is set.
struct rpc_request {
  std::uint16_t proc_id = 0;
  std::string proc_name;
  std::vector<rpc_param> params;
  /// True when this calls sp_executesql (by id 10 or by name).
  bool is_executesql() const;
};

/// Parses an RPC payload; throws protocol_error if malformed, unsupported_request for
/// batched RPCs and unknown parameter types.
rpc_request parse_rpc(std::span<const std::uint8_t> payload);

}  // namespace tdsd
