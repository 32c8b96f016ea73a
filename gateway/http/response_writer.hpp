#pragma once
// Writing a response the gateway made itself, done in one place for every writer (the
// session, a relayed request's 502/504, a connection over the cap): its version, the
// fields of finish_gateway_response, Connection, and HEAD answered with the GET headers
// (Content-Length included) and no body.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include "gateway/http/http_types.hpp"

namespace gateway {

class client_stream;  // gateway/http/client_stream.hpp

/// How a response goes out.
struct reply_options {
    unsigned version = 11;
    bool head = false;        ///< HEAD: headers only
    bool keep_alive = false;  ///< the connection stays open after it
    std::string_view vary;    ///< runtime_state::vary() of the request's configuration
    std::chrono::milliseconds write_timeout{};
};

/// What the write did.
struct reply_written {
    beast::error_code error;
    std::size_t body_bytes = 0;  ///< body bytes sent (0 for HEAD)
};

/// Finishes `res` for `request_id` (on HTTPS with the connection's HSTS field) and
/// writes it in one system call; `scratch` is the
/// connection's reusable buffer (write_flat).
asio::awaitable<reply_written> write_gateway_response(client_stream& stream, response& res,
                                                      std::string_view request_id, const reply_options& options,
                                                      std::string& scratch);

}  // namespace gateway
