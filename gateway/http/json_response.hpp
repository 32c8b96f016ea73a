#pragma once
// JSON responses, including the one error shape every client can rely on:
// {"error":{"code":"…","message":"…","requestId":"…"}}.

#include <string_view>

#include <boost/json/value.hpp>

#include "gateway/http/http_types.hpp"
#include "router/http_error.hpp"

namespace gateway {

/// A response with `body` serialised as JSON and Content-Type application/json.
response json_response(http::status status, const boost::json::value& body);

/// The JSON error response; `status` is numeric so router errors map directly.
response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::string_view request_id);

/// The JSON error response for a router decision, with Allow for 405.
response error_response(const router::http_error& error, std::string_view request_id);

}  // namespace gateway
