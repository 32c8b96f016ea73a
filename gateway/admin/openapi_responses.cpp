#include "gateway/admin/openapi_responses.hpp"

#include <algorithm>
#include <string>

#include <boost/json/array.hpp>

#include "gateway/admin/openapi_schemas.hpp"

namespace gateway::openapi {

namespace json = boost::json;

namespace {

using route_test = bool (*)(const conf::route_config&);

bool any(const conf::route_config&) { return true; }
bool not_proxy(const conf::route_config& r) { return r.kind != conf::route_kind::proxy; }
bool proxy(const conf::route_config& r) { return r.kind == conf::route_kind::proxy; }
bool sql(const conf::route_config& r) { return r.kind == conf::route_kind::sql; }
bool login(const conf::route_config& r) { return r.kind == conf::route_kind::login; }
bool database(const conf::route_config& r) { return sql(r) || login(r); }
bool sql_with_params(const conf::route_config& r) { return sql(r) && !r.params.empty(); }
bool one_row(const conf::route_config& r) { return sql(r) && r.result == conf::result_mode::one; }
bool auth(const conf::route_config& r) { return r.auth_required; }
bool token_needed(const conf::route_config& r) { return auth(r) || login(r); }
bool validated(const conf::route_config& r) { return sql_with_params(r) || login(r); }
// Without a tenant an auth route answers 401 (the token names one); a sql or login route
// needs one even when tenant_required is off (sql_handler_request: check_request).
bool tenant_needed(const conf::route_config& r) { return !auth(r) && (r.tenant_required || database(r)); }

/// One error the gateway's code can answer, and the routes it can answer it on.
struct error_case {
    unsigned status;
    std::string_view code;
    std::string_view when;
    route_test applies;
};

// In status order; within a status, in the order a request meets the checks.
constexpr error_case error_cases[] = {
    {400, "bad_request", "the request is not valid HTTP/1.1 or its target cannot be decoded", any},
    {400, "duplicate_header", "Host, Authorization or Proxy-Authorization appears twice", any},
    {400, "invalid_company_code", "a tenant selector is not a company code (1-64 of A-Z, 0-9, _, -)", any},
    {400, "tenant_conflict", "two tenant selectors name different tenants", any},
    {400, "tenant_required", "no tenant selector names a tenant", tenant_needed},
    {400, "invalid_json", "the body is not a JSON object", database},
    {400, "validation_failed", "parameters are missing or invalid: every one is listed in details", validated},
    {401, "unauthorized", "no bearer token, or one that is invalid or expired", auth},
    {401, "invalid_credentials", "unknown user or wrong password", login},
    {403, "tenant_mismatch", "the token belongs to another tenant", auth},
    {404, "tenant_not_found", "the company code is not an active tenant of the registry", database},
    {404, "not_found", "the statement returned no row", one_row},
    {409, "conflict", "the database refused a duplicate key", database},
    {413, "body_too_large", "the body exceeds limits.max_body_bytes", not_proxy},
    {417, "expectation_failed", "an Expect header other than 100-continue", not_proxy},
    {429, "rate_limited", "the tenant's, the route's or the user's request rate, or the tenant's concurrent "
                          "requests, is at its limit",
     any},
    {429, "too_many_attempts", "too many failed logins for this account or address", login},
    {431, "header_too_large", "the request line and headers exceed limits.max_header_bytes", any},
    {500, "internal_error", "a fault of the gateway (logged)", not_proxy},
    {502, "sql_error", "the database refused or failed the statement", database},
    {502, "login_failed", "the tenant's database refused the gateway's login", database},
    {502, "connection_lost", "the database connection broke during the request", database},
    {502, "result_too_large", "a value or the whole result exceeds max_cell_bytes or max_response_bytes", sql},
    {502, "upstream_unavailable", "no upstream server answered (a relayed upstream answer keeps its own status)",
     proxy},
    {503, "too_many_connections", "the gateway holds limits.max_client_connections connections", any},
    {503, "auth_unavailable", "token signing or verification is not configured", token_needed},
    {503, "registry_unavailable", "the tenant registry cannot be reached", database},
    {503, "tenant_misconfigured", "the tenant's registry row cannot be served (the message says why)", database},
    {503, "tenant_credentials_unavailable", "the tenant's database secret cannot be read", database},
    {503, "tenant_db_unavailable", "the tenant's database is down (circuit open) or its pool is closing", database},
    {503, "tls_required_not_offered", "the tenant's database offers no encryption though it is required", database},
    {503, "tls_certificate_rejected", "the tenant database's certificate failed verification", database},
    {503, "tls_handshake_failed", "an encrypted connection to the tenant's database failed", database},
    {503, "pool_timeout", "no database connection became free within pools.acquire_timeout", database},
    {503, "pool_overloaded", "too many requests wait for this tenant's connections", database},
    {503, "response_budget_exhausted", "the responses in flight hold limits.max_inflight_response_bytes", sql},
    {504, "query_timeout", "the statement ran past its query_timeout", database},
    {504, "upstream_timeout", "the upstream did not answer in time", proxy},
};

json::object header_ref(std::string_view name) { return ref("headers", name); }

/// The headers of an error answer with `status` carrying `codes`.
json::object error_headers(unsigned status, const std::vector<std::string>& codes) {
    json::object out{{"X-Request-Id", header_ref("X-Request-Id")}};
    const bool auth_503 = std::find(codes.begin(), codes.end(), "auth_unavailable") != codes.end();
    if (status == 429 || (status == 503 && !auth_503)) {
        out["Retry-After"] = header_ref("Retry-After");
    } else if (status == 503) {
        // auth_unavailable is a configuration fault with no time to wait for
        out["Retry-After"] = header_ref("Retry-After-Optional");
    }
    if (status == 429) {
        out["RateLimit-Policy"] = header_ref("RateLimit-Policy");
        out["RateLimit"] = header_ref("RateLimit");
    }
    return out;
}

std::string error_description(const conf::route_config& route, unsigned status) {
    std::string out;
    for (const error_case& c : error_cases) {
        if (c.status != status || !c.applies(route)) continue;
        if (!out.empty()) out += "; ";
        out += "`" + std::string(c.code) + "`: " + std::string(c.when);
    }
    return out;
}

json::object error_response(const conf::route_config& route, unsigned status) {
    const std::vector<std::string> codes = route_error_codes(route, status);
    json::object media{{"schema", error_schema_with(json::array(codes.begin(), codes.end()))}};
    return {{"description", error_description(route, status)},
            {"headers", error_headers(status, codes)},
            {"content", json::object{{"application/json", std::move(media)}}}};
}

/// Headers of a successful answer.
json::object success_headers(const conf::route_config& route) {
    json::object out{{"X-Request-Id", header_ref("X-Request-Id")},
                     {"RateLimit-Policy", header_ref("RateLimit-Policy")},
                     {"RateLimit", header_ref("RateLimit")}};
    if (sql(route) && route.result == conf::result_mode::many) {
        out["X-Result-Truncated"] = header_ref("X-Result-Truncated");
        out["X-Result-Max-Rows"] = header_ref("X-Result-Max-Rows");
    }
    return out;
}

json::object json_success(const conf::route_config& route, std::string_view description, json::object schema) {
    return {{"description", description},
            {"headers", success_headers(route)},
            {"content", json::object{{"application/json", {{"schema", std::move(schema)}}}}}};
}

/// The success entry of `responses`: its key ("200" or "default") and value.
std::pair<std::string_view, json::object> success_response(const conf::route_config& route) {
    switch (route.kind) {
        case conf::route_kind::sql: {
            static constexpr std::string_view said[] = {"the rows, at most max_rows (X-Result-Truncated: true "
                                                        "when there were more)",
                                                        "the first row", "the number of rows the statement changed"};
            return {"200", json_success(route, said[static_cast<int>(route.result)], sql_result_schema(route))};
        }
        case conf::route_kind::login:
            return {"200", json_success(route, "a signed token for the tenant, and the user's row: the "
                                               "query's columns but password_hash",
                                        login_result_schema())};
        case conf::route_kind::echo:
            return {"200", json_success(route, "what the gateway understood of the request", echo_result_schema())};
        case conf::route_kind::proxy: break;
    }
    json::object relayed{{"description", "the upstream's answer, relayed as it is: status, headers and body "
                                         "(an upstream's own 4xx or 5xx too; the error codes listed are "
                                         "the gateway's)"},
                         {"content", json::object{{"*/*", json::object{}}}}};
    return {"default", std::move(relayed)};
}

}  // namespace

std::vector<std::string> route_error_codes(const conf::route_config& route, unsigned status) {
    std::vector<std::string> out;
    for (const error_case& c : error_cases) {
        if (c.status == status && c.applies(route)) out.emplace_back(c.code);
    }
    return out;
}

json::object route_responses(const conf::route_config& route) {
    json::object out;
    auto [key, success] = success_response(route);
    if (key == "200") out[key] = std::move(success);
    unsigned last = 0;
    for (const error_case& c : error_cases) {
        if (c.status == last || !c.applies(route)) continue;
        last = c.status;
        out[std::to_string(c.status)] = error_response(route, c.status);
    }
    if (key == "default") out[key] = std::move(success);
    return out;
}

namespace {

json::object header(std::string_view description, json::object schema, bool required = false) {
    json::object out{{"description", description}, {"schema", std::move(schema)}};
    if (required) out["required"] = true;
    return out;
}

}  // namespace

json::object component_headers() {
    const json::object text{{"type", "string"}};
    const json::object seconds{{"type", "integer"}, {"minimum", 1}};
    return {
        {"X-Request-Id", header("the request's id: the client's X-Request-Id, or one the gateway made", text, true)},
        {"Retry-After", header("whole seconds to wait before trying again, at least 1", seconds, true)},
        {"Retry-After-Optional", header("whole seconds to wait before trying again, at least 1; absent "
                                        "on auth_unavailable",
                                        seconds)},
        {"RateLimit-Policy", header("the bucket closest to refusing, as a structured field: "
                                    "\"tenant\";q=20;w=1 (q requests per w=1 second); "
                                    "only on a tenant with a rate limit",
                                    text)},
        {"RateLimit", header("that bucket's state: \"tenant\";r=3;t=1 (r whole tokens left, t seconds until "
                             "full, or on a refusal until the next token)",
                             text)},
        {"X-Result-Truncated", header("true when the result had more than max_rows rows", {{"enum", json::array{"true"}}})},
        {"X-Result-Max-Rows", header("the route's max_rows, sent with X-Result-Truncated", text)},
    };
}

}  // namespace gateway::openapi
