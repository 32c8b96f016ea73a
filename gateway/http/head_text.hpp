#pragma once
// A message header written out as text by a plain loop over its fields. Beast's
// serializer hands the same bytes over as a sequence of four buffers per field, and
// walking that sequence to copy it (write_flat) was the largest user-space cost of
// the gateway's own small answers and of each proxied exchange.

#include <string>

#include <boost/beast/http/message.hpp>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// Appends the status line, every field and the blank line of `header` to `out`:
/// the bytes Beast's serializer would send for it.
void append_head_text(const http::response_header<>& header, std::string& out);

/// The same for a request: its request line, every field and the blank line.
void append_head_text(const http::request_header<>& header, std::string& out);

}  // namespace gateway
