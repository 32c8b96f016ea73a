#include "gateway/http/response_writer.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>

#include "gateway/http/client_stream.hpp"
#include "gateway/http/flat_write.hpp"
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
    reply_written out;
    if (options.head) {
        // Same headers as GET, Content-Length included, and no body.
        http::response<http::empty_body> head{std::move(res.base())};
        http::response_serializer<http::empty_body> serializer{head};
        out.error = co_await write_flat(stream, serializer, scratch);
    } else {
        out.body_bytes = res.body().size();
        http::response_serializer<http::string_body> serializer{res};
        out.error = co_await write_flat(stream, serializer, scratch);
    }
    co_return out;
}

}  // namespace gateway
