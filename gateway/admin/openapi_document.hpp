#pragma once
// The OpenAPI 3.1 contract of a configuration: every route of `routes:` with its
// methods, parameters (types and constraints), tenant selectors, bearer auth, result
// shapes and every error it can answer, and the gateway's own endpoints. Served at
// /openapi.json (under metrics.access) and printed by `tenant-gateway --openapi`; both
// call openapi_text on the configuration in force, so they are byte for byte the same.
// Keys are inserted in a fixed order (Boost.JSON objects keep it): the same
// configuration always gives the same text.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "conf/config.hpp"

namespace gateway {

/// The document as JSON; `version` is the gateway's (info.version).
boost::json::object openapi_document(const conf::config& config, std::string_view version);

/// The document serialised (compact, one line, no trailing newline).
std::string openapi_text(const conf::config& config, std::string_view version);

}  // namespace gateway
