#pragma once
// JSON Schemas (the OpenAPI 3.1 dialect, JSON Schema 2020-12) of what a route accepts and
// answers: a declared parameter's value as router/param_binding checks it, and the bodies
// the sql, login and echo handlers write. What JSON Schema cannot say exactly is left to
// the gateway and said in the description: calendar validity of dates, a binary value's
// decoded bytes, bounds on a decimal written as text, RE2 rather than ECMA-262 patterns.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "conf/config.hpp"

namespace gateway::openapi {

/// Where a parameter's value travels, which decides its JSON form: text from the URL
/// (path, query) or a JSON value of the body.
enum class value_form { text, json };

/// The schema of one declared parameter's value: type, format, bounds, length, pattern,
/// default and an example of a valid value.
boost::json::object param_schema(const conf::param_config& param, value_form form);

/// The `components.schemas` every document carries: Error, Row, RowList is per route.
boost::json::object component_schemas();

/// The 200 body of a sql route by its result mode (`many` bounded by max_rows).
boost::json::object sql_result_schema(const conf::route_config& route);

/// The 200 body of a login route.
boost::json::object login_result_schema();

/// The 200 body of an echo route.
boost::json::object echo_result_schema();

/// The Error schema with `error.code` narrowed to `codes`.
boost::json::object error_schema_with(boost::json::array codes);

/// `{"$ref": "#/components/<section>/<name>"}`.
boost::json::object ref(std::string_view section, std::string_view name);

}  // namespace gateway::openapi
