#pragma once
// Streams one message body from a parser to a serializer in fixed-size chunks (the
// buffer_body relay of Beast's http_relay example), so memory stays bounded whatever
// the body's size; chunked bodies are re-chunked chunk by chunk as they arrive.

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include "gateway/http/http_types.hpp"
#include "gateway/proxy/upstream_stream.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// Timeouts of one relay: each read from the source, each write to the destination.
struct relay_timeouts {
    std::chrono::milliseconds read{};
    std::chrono::milliseconds write{};
};

/// How a relay ended: which side failed, if any, and how many body bytes went through.
struct relay_result {
    enum class side { none, source, destination };
    side failed = side::none;
    beast::error_code ec;
    std::uint64_t bytes = 0;
    bool complete = false;  ///< relay_sized_response: the whole body went through
};

/// Relays the rest of a request: its header (if not yet written) and its body.
/// `scratch` is write_flat's buffer, reused across requests.
asio::awaitable<relay_result> relay_request(client_stream& source,
                                            beast::flat_buffer& source_buffer,
                                            http::request_parser<http::buffer_body>& parser,
                                            upstream_stream& destination,
                                            http::request_serializer<http::buffer_body>& out,
                                            std::string& scratch, relay_timeouts timeouts);

/// Relays the rest of a response: its header (if not yet written) and its body.
/// `scratch` is write_flat's buffer, reused across requests.
asio::awaitable<relay_result> relay_response(upstream_stream& source,
                                             beast::flat_buffer& source_buffer,
                                             http::response_parser<http::buffer_body>& parser,
                                             client_stream& destination,
                                             http::response_serializer<http::buffer_body>& out,
                                             std::string& scratch, relay_timeouts timeouts);

/// Relays a response whose body goes out as it arrives, without chunk framing (its
/// length is known, or it ends with the connection): the header as text together
/// with the first piece of the body, in one write, then each piece as read.
asio::awaitable<relay_result> relay_raw_response(upstream_stream& source,
                                                 beast::flat_buffer& source_buffer,
                                                 http::response_parser<http::buffer_body>& parser,
                                                 client_stream& destination, std::string& scratch,
                                                 relay_timeouts timeouts);

/// Relays a response of `length` body bytes (its Content-Length) read straight from
/// the socket after the header, past the parser: Beast's buffer_body parser copied
/// every body byte once more, the largest cost of a 64 kB answer. The header goes out
/// as text with the body bytes its read already brought, in one write; the rest in
/// writes of up to 64 KiB, each gathered from what the socket holds (a heap window,
/// only while such a body is relayed).
asio::awaitable<relay_result> relay_sized_response(upstream_stream& source,
                                                   beast::flat_buffer& source_buffer,
                                                   const http::response_header<>& header,
                                                   std::uint64_t length, client_stream& destination,
                                                   std::string& scratch, relay_timeouts timeouts);

}  // namespace gateway
