#include "gateway/admin/openapi_operator.hpp"

#include <string>

#include <boost/json/array.hpp>

#include "gateway/admin/openapi_schemas.hpp"

namespace gateway::openapi {

namespace json = boost::json;

namespace {

json::object error_answer(std::string_view description, std::initializer_list<std::string_view> codes,
                          bool retry_after = false) {
    json::array names;
    for (auto code : codes) names.emplace_back(code);
    json::object headers{{"X-Request-Id", ref("headers", "X-Request-Id")}};
    if (retry_after) headers["Retry-After"] = ref("headers", "Retry-After");
    json::object media{{"schema", error_schema_with(std::move(names))}};
    return {{"description", description},
            {"headers", std::move(headers)},
            {"content", json::object{{"application/json", std::move(media)}}}};
}

json::object answer(std::string_view description, std::string_view media, json::object schema) {
    return {{"description", description},
            {"headers", json::object{{"X-Request-Id", ref("headers", "X-Request-Id")}}},
            {"content", json::object{{media, {{"schema", std::move(schema)}}}}}};
}

json::object json_status(std::string_view value) {
    return {{"type", "object"},
            {"required", json::array{"status"}},
            {"properties", json::object{{"status", {{"const", value}}}}}};
}

/// A GET operation under `policy`: the 401 or 403 it adds, and its security.
json::object guarded_get(std::string_view id, std::string_view summary, json::object responses,
                         conf::access_policy policy) {
    json::object op{{"operationId", id}, {"summary", summary}, {"tags", json::array{"operator"}}};
    if (policy == conf::access_policy::loopback) {
        responses["403"] = error_answer("`forbidden`: the client is not on a loopback address", {"forbidden"});
        op["description"] = "Answers clients on a loopback address only.";
    } else if (policy == conf::access_policy::token) {
        responses["401"] = error_answer("`unauthorized`: no operator bearer token, or a wrong one", {"unauthorized"});
        op["security"] = json::array{json::object{{"operatorToken", json::array{}}}};
    }
    op["responses"] = std::move(responses);
    return op;
}

json::object get_item(json::object operation) { return {{"get", std::move(operation)}}; }

json::object health_item(const conf::config& config) {
    json::object tenant{{"name", "tenant"},
                        {"in", "query"},
                        {"required", false},
                        {"description", "only this tenant"},
                        {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{1,64}$"}}}};
    json::object tenant_state{{"type", "object"},
                              {"required", json::array{"companyCode", "server", "hosting", "connected", "latency"}},
                              {"properties", json::object{{"companyCode", {{"type", "string"}}},
                                                          {"server", {{"type", "string"}}},
                                                          {"hosting", {{"type", "string"}}},
                                                          // null: probed by another instance
                                                          {"connected", {{"type", json::array{"boolean", "null"}}}},
                                                          {"latency", {{"type", json::array{"string", "null"}}}}}}};
    json::object body{{"type", "object"},
                      {"required", json::array{"activePools", "tenants"}},
                      {"properties", json::object{{"activePools", {{"type", "integer"}}},
                                                  {"tenants", {{"type", "array"}, {"items", std::move(tenant_state)}}}}}};
    json::object responses{
        {"200", answer("every tenant database's state (README, Monitoring); 200 whatever the tenants' state",
                       "application/json", std::move(body))},
        {"400", error_answer("`invalid_company_code`: ?tenant= is not a company code", {"invalid_company_code"})},
        {"404", error_answer("`tenant_not_found`: ?tenant= is not an active tenant", {"tenant_not_found"})}};
    json::object op = guarded_get("health", "Tenant databases' health", std::move(responses), config.health.access);
    op["parameters"] = json::array{std::move(tenant)};
    return get_item(std::move(op));
}

json::object metrics_item(const conf::config& config) {
    json::object responses{{"200", answer("Prometheus text format 0.0.4", "text/plain", {{"type", "string"}})},
                           {"404", error_answer("`not_found`: metrics.enabled is false", {"not_found"})}};
    return get_item(guarded_get("metrics", "Prometheus metrics", std::move(responses), config.metrics.access));
}

json::object openapi_item(const conf::config& config) {
    json::object responses{{"200", answer("this document, for the configuration in force", "application/json",
                                          {{"type", "object"}})}};
    return get_item(guarded_get("openapi", "This OpenAPI document", std::move(responses), config.metrics.access));
}

json::object probe_item(std::string_view id, std::string_view summary, json::object responses) {
    return get_item(json::object{{"operationId", id},
                                 {"summary", summary},
                                 {"tags", json::array{"operator"}},
                                 {"responses", std::move(responses)}});
}

}  // namespace

bool uses_operator_token(const conf::config& config) {
    return config.health.access == conf::access_policy::token || config.metrics.access == conf::access_policy::token;
}

json::object operator_paths(const conf::config& config) {
    json::object out;
    out["/livez"] = probe_item("livez", "The process is up",
                               {{"200", answer("alive", "application/json", json_status("ok"))}});
    out["/readyz"] = probe_item(
        "readyz", "Ready to serve: listener up and a tenant registry snapshot loaded",
        {{"200", answer("ready", "application/json", json_status("ready"))},
         {"503", error_answer("`not_ready`: starting, registry not loaded yet, or draining", {"not_ready"}, true)}});
    out["/health"] = health_item(config);
    out["/metrics"] = metrics_item(config);
    out["/openapi.json"] = openapi_item(config);
    return out;
}

}  // namespace gateway::openapi
