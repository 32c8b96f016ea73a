#pragma once
// The answers a configured route can give, as OpenAPI response objects: its success
// body, and per status every error code the gateway's code can send on that route
// (session limits, tenant resolution, the auth gate, rate limits, the handler of the
// route's kind), each with the headers it carries (X-Request-Id always, Retry-After on
// 429 and on the 503s that set it, RateLimit on answers of a limited tenant).

#include <boost/json/object.hpp>

#include "conf/config.hpp"

namespace gateway::openapi {

/// `responses` of one operation of `route`.
boost::json::object route_responses(const conf::route_config& route);

/// `components.headers`: X-Request-Id, Retry-After, RateLimit-Policy, RateLimit,
/// X-Result-Truncated, X-Result-Max-Rows.
boost::json::object component_headers();

/// The error codes `route` can answer with `status`, in a stable order (tests, docs).
std::vector<std::string> route_error_codes(const conf::route_config& route, unsigned status);

}  // namespace gateway::openapi
