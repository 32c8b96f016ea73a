#include "tests/tdsd/rpc_request.hpp"

#include "tests/tdsd/config.hpp"
#include "tests/tdsd/param_reader.hpp"
#include "tests/tdsd/wire.hpp"

namespace tdsd {
namespace {

constexpr std::uint16_t proc_id_marker = 0xFFFF;
constexpr std::uint16_t sp_executesql_id = 10;
// Between batched RPCs TDS 7.2+ puts 0xFF, older versions 0x80; tdsd runs one RPC per message.
constexpr std::uint8_t batch_separator = 0xFF;
constexpr std::uint8_t batch_separator_old = 0x80;

}  // namespace

std::size_t skip_all_headers(std::span<const std::uint8_t> payload) {
  byte_reader r(payload);
  const std::uint32_t total = r.u32();
  if (total < 4 || total > payload.size()) throw protocol_error("bad ALL_HEADERS length");
  return total;
}

bool rpc_request::is_executesql() const {
  if (proc_id != 0) return proc_id == sp_executesql_id;
  std::string name = upper(proc_name);
  for (const char* prefix : {"[MASTER].[SYS].", "MASTER.SYS.", "[SYS].", "SYS.", "[DBO].", "DBO."}) {
    if (name.starts_with(prefix)) name = name.substr(std::string_view(prefix).size());
  }
  return name == "SP_EXECUTESQL" || name == "[SP_EXECUTESQL]";
}

rpc_request parse_rpc(std::span<const std::uint8_t> payload) {
  byte_reader r(payload);
  r.seek(skip_all_headers(payload));
  rpc_request req;
  const std::uint16_t name_len = r.u16();
  if (name_len == proc_id_marker) {
    req.proc_id = r.u16();
    if (req.proc_id == 0) throw protocol_error("RPC procedure id 0");
  } else {
    req.proc_name = r.utf16(name_len);
  }
  r.u16();  // option flags (recompile, no metadata): nothing to honour here
  while (r.remaining() > 0) {
    const std::uint8_t name_chars = r.u8();
    if (name_chars == batch_separator || name_chars == batch_separator_old) {
      throw unsupported_request("batched RPC requests are not supported by tdsd");
    }
    rpc_param p;
    p.name = r.utf16(name_chars);
    r.u8();  // status flags: output parameters are accepted but never returned
    p.value = read_param_value(r);
    req.params.push_back(std::move(p));
  }
  return req;
}

}  // namespace tdsd
