#pragma once
// The HTTP message types every part of the gateway speaks.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

/// A fully read request (the body is bounded by limits.max_body_bytes).
using request = http::request<http::string_body>;

/// A response before the session adds X-Request-Id, Server and keep-alive.
using response = http::response<http::string_body>;

}  // namespace gateway
