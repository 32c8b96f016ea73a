#pragma once
// Writing an HTTP message through Beast's serializer, but each piece copied into one
// contiguous buffer before it goes out. Beast hands a header to the socket as a
// sequence of four buffers per field; walking that sequence (to size it, to build the
// iovec array, to consume it) showed up as the largest user-space cost of a small
// proxied exchange, and the kernel then copied dozens of iovecs. One copy into a
// reused buffer is cheaper, and the piece leaves in one send call with one iovec.

#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/serializer.hpp>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// Pieces up to this size are copied into the scratch buffer and sent in one call;
/// larger ones (a big response body) are sent in place.
inline constexpr std::size_t max_flat_piece = 64 * 1024;

/// Writes to `stream` (a client_stream or an upstream_stream) what `out` has ready: the whole message, or (header_only) just its header, or
/// up to where a buffer_body needs its next piece (not an error here). `scratch` is
/// reused between calls so a connection allocates it once.
template <class Stream, bool is_request, class Body, class Fields>
asio::awaitable<beast::error_code> write_flat(Stream& stream,
                                              http::serializer<is_request, Body, Fields>& out,
                                              std::string& scratch, bool header_only = false) {
    if (header_only) out.split(true);
    // next() may only advance the serializer's state (a body with nothing more to send)
    // without handing over a buffer; a few such steps in a row mean nothing is left.
    int steps_without_data = 0;
    while (!out.is_done() && !(header_only && out.is_header_done())) {
        beast::error_code ec;
        bool visited = false;
        std::vector<asio::const_buffer> large;
        out.next(ec, [&scratch, &visited, &large](beast::error_code&, const auto& buffers) {
            visited = true;
            const std::size_t size = beast::buffer_bytes(buffers);
            if (size > max_flat_piece) {
                // A large body goes out from where it lies: a copy would double its memory.
                scratch.clear();
                for (const auto b : beast::buffers_range_ref(buffers)) large.emplace_back(b);
                return;
            }
            scratch.resize(size);
            asio::buffer_copy(asio::buffer(scratch), buffers);
        });
        if (ec == http::error::need_buffer) co_return beast::error_code{};
        if (ec) co_return ec;
        if (!large.empty()) {
            constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
            auto [write_ec, written] = co_await asio::async_write(stream, large, nothrow);
            if (write_ec) co_return write_ec;
            out.consume(written);
            steps_without_data = 0;
            continue;
        }
        // Never send what an earlier piece left in `scratch`.
        if (!visited || scratch.empty()) {
            if (visited) out.consume(0);
            if (++steps_without_data > 2) break;
            continue;
        }
        steps_without_data = 0;
        // Named, not temporaries: g++ 12 mishandles temporaries in co_await arguments.
        constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
        const auto piece = asio::buffer(scratch);
        auto [write_ec, written] = co_await asio::async_write(stream, piece, nothrow);
        if (write_ec) co_return write_ec;
        out.consume(written);
    }
    co_return beast::error_code{};
}

}  // namespace gateway
