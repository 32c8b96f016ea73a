#pragma once
// Request framing checks that close request-smuggling gaps Beast's parser leaves open.
// Beast already refuses differing Content-Length values, Content-Length beside a
// chunked Transfer-Encoding and a repeated chunked coding; it accepts obs-fold, repeated
// identical Content-Length fields and Transfer-Encodings whose last coding is not
// chunked. A gateway and the server behind it must agree on where a request ends, so
// every shape two HTTP implementations could read differently is refused with 400.

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/http/http_types.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// True when the header block (request line and fields) continues a field value on
/// the next line (obs-fold: CRLF followed by a space or a tab).
bool has_obs_fold(std::string_view head) noexcept;

/// An http::error for a parsed header whose body framing is ambiguous: several
/// Content-Length fields or a list in one, Transfer-Encoding beside Content-Length,
/// several Transfer-Encoding fields, any coding but a single `chunked`, or
/// Transfer-Encoding in HTTP/1.0. Empty when the framing is unambiguous.
beast::error_code check_framing(const http::request_header<>& header);

/// The name of a field that must appear at most once and appears more often
/// (Host, Authorization, Proxy-Authorization): two implementations would pick
/// different copies, one checking the first and another using the last.
std::optional<std::string_view> repeated_singleton_field(const http::request_header<>& header);

/// Reads a request header into `parser` like http::async_read_header, and also refuses
/// obs-fold (seen in the raw bytes, since the parser unfolds it) and the framings of
/// check_framing(). Parse errors are http::error codes, so callers answer them with 400.
asio::awaitable<beast::error_code> read_request_header(
    client_stream& stream, beast::flat_buffer& buffer,
    http::request_parser<http::string_body>& parser, std::size_t header_limit);

}  // namespace gateway
