#include "gateway/http/response_writer.hpp"

#include <array>

#include <boost/asio/buffer.hpp>

#include "gateway/http/client_stream.hpp"
#include "gateway/http/write_at_once.hpp"
#include "gateway/http/head_text.hpp"
#include "gateway/http/response_headers.hpp"

namespace gateway {

asio::awaitable<reply_written> write_gateway_response(client_stream& stream, response& res,
                                                      std::string_view request_id, const reply_options& options,
                                                      std::string& scratch) {
    res.version(options.version);
    finish_gateway_response(res, request_id, options.vary);
    res.keep_alive(options.keep_alive);
    if (const auto hsts = stream.hsts(); !hsts.empty()) res.set(http::field::strict_transport_security, hsts);
    stream.expires_after(options.write_timeout);
    // Header and body leave in one gathered write, the body from where it lies; HEAD
    // gets the GET header, Content-Length included, and no body.
    scratch.clear();
    append_head_text(res.base(), scratch);
    reply_written out;
    if (!options.head) out.body_bytes = res.body().size();
    // Named, not a temporary: g++ 12 mishandles temporaries in co_await arguments.
    const std::array<asio::const_buffer, 2> message{asio::buffer(scratch), asio::buffer(res.body().data(), out.body_bytes)};
    out.error = co_await write_whole(stream, message);
    stream.expires_never();  // the deadline would run on while the connection waits
    co_return out;
}

}  // namespace gateway
