#pragma once
// The gateway's own endpoints in the OpenAPI document: /livez, /readyz, /health,
// /metrics and /openapi.json, each with the access policy the configuration gives it.

#include <boost/json/object.hpp>

#include "conf/config.hpp"

namespace gateway::openapi {

/// Path items of the operator endpoints, keyed by path.
boost::json::object operator_paths(const conf::config& config);

/// True when an operator endpoint asks for the configured operator bearer token, so the
/// document needs the `operatorToken` security scheme.
bool uses_operator_token(const conf::config& config);

}  // namespace gateway::openapi
