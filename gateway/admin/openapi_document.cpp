#include "gateway/admin/openapi_document.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "conf/route_path.hpp"
#include "gateway/admin/openapi_operator.hpp"
#include "gateway/admin/openapi_responses.hpp"
#include "gateway/admin/openapi_schemas.hpp"

namespace gateway {

namespace json = boost::json;
using openapi::ref;

namespace {

constexpr std::string_view company_pattern = "^[A-Za-z0-9_-]{1,64}$";
/// The methods an OpenAPI path item can hold, in its own order.
constexpr std::string_view openapi_methods[] = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"};

bool selects_by(const conf::config& config, conf::tenant_source source) {
    const auto& order = config.tenant_resolution.order;
    return std::find(order.begin(), order.end(), source) != order.end();
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// ---- tenant selectors, servers, security -------------------------------------------

json::object tenant_parameters(const conf::config& config) {
    const auto& resolution = config.tenant_resolution;
    json::object out;
    const json::object schema{{"type", "string"}, {"pattern", company_pattern}};
    if (selects_by(config, conf::tenant_source::query)) {
        out["TenantQuery"] = json::object{{"name", resolution.query_param},
                                          {"in", "query"},
                                          {"required", false},
                                          {"description", "the tenant's company code (any case)"},
                                          {"schema", schema}};
    }
    if (selects_by(config, conf::tenant_source::header)) {
        out["TenantHeader"] = json::object{{"name", resolution.header},
                                           {"in", "header"},
                                           {"required", false},
                                           {"description", "the tenant's company code (any case)"},
                                           {"schema", schema}};
    }
    return out;
}

/// "/" (this gateway), and one server per base domain whose first label names the tenant.
json::array servers(const conf::config& config) {
    json::array out{json::object{{"url", "/"}, {"description", "this gateway"}}};
    if (!selects_by(config, conf::tenant_source::subdomain)) return out;
    for (const std::string& base : config.tenant_resolution.base_domains) {
        // the variable's own description is left out: the published 3.1 schema of
        // 2021-04-15 misspells that key and refuses it
        json::object company{{"default", "acme"}};
        json::object scheme{{"default", "https"}, {"enum", json::array{"https", "http"}}};
        out.push_back(json::object{{"url", "{scheme}://{company}." + base},
                                   {"description", "the tenant named by its subdomain: company is its company code"},
                                   {"variables", json::object{{"scheme", std::move(scheme)},
                                                              {"company", std::move(company)}}}});
    }
    return out;
}

std::string tenant_selection_text(const conf::config& config) {
    std::string out = "Every request belongs to a tenant, named by";
    const auto& r = config.tenant_resolution;
    for (std::size_t i = 0; i < r.order.size(); ++i) {
        out += i == 0 ? " " : (i + 1 == r.order.size() ? " or " : ", ");
        switch (r.order[i]) {
            case conf::tenant_source::query: out += "the query parameter `" + r.query_param + "`"; break;
            case conf::tenant_source::subdomain: out += "the subdomain of a base domain (see servers)"; break;
            case conf::tenant_source::header: out += "the header `" + r.header + "`"; break;
            case conf::tenant_source::token: out += "the bearer token's `" + r.token_claim + "` claim"; break;
        }
    }
    return out + "; two selectors naming different tenants are refused (400 tenant_conflict). "
                 "Company codes are case-insensitive, 1-64 of A-Z, 0-9, _ and -.";
}

json::object security_schemes(const conf::config& config) {
    json::object out{{"bearerAuth", {{"type", "http"},
                                     {"scheme", "bearer"},
                                     {"bearerFormat", "JWT"},
                                     {"description", "a token from a login route, for its tenant only"}}}};
    if (openapi::uses_operator_token(config)) {
        out["operatorToken"] = json::object{{"type", "http"},
                                            {"scheme", "bearer"},
                                            {"description", "the operator token of health.token or metrics.token"}};
    }
    return out;
}

// ---- one route ---------------------------------------------------------------------

/// The OpenAPI path of a route: "/app/*" becomes "/app/{name}" with a fresh name.
std::string openapi_path(const conf::route_config& route, const conf::route_path_info& info,
                         std::string& rest_name) {
    if (!info.prefix) return route.path;
    rest_name = "rest";
    while (std::find(info.params.begin(), info.params.end(), rest_name) != info.params.end()) rest_name += "_";
    return route.path.substr(0, route.path.size() - 1) + "{" + rest_name + "}";
}

const std::string& field_name(const conf::param_config& param) { return param.key.empty() ? param.name : param.key; }

const conf::param_config* declared(const conf::route_config& route, conf::param_source source,
                                   const std::string& key) {
    for (const auto& p : route.params) {
        if (p.source == source && field_name(p) == key) return &p;
    }
    return nullptr;
}

json::object parameter(std::string_view name, std::string_view in, bool required, json::object schema) {
    return {{"name", name}, {"in", in}, {"required", required}, {"schema", std::move(schema)}};
}

bool required_value(const conf::param_config& p) { return p.required && !p.default_value; }

json::array route_parameters(const conf::route_config& route, const conf::route_path_info& info,
                             const std::string& rest_name, const conf::config& config) {
    json::array out;
    for (const std::string& capture : info.params) {
        const auto* p = declared(route, conf::param_source::path, capture);
        out.push_back(parameter(capture, "path", true,
                                p ? openapi::param_schema(*p, openapi::value_form::text)
                                  : json::object{{"type", "string"}}));
    }
    if (!rest_name.empty()) {
        json::object rest = parameter(rest_name, "path", true, {{"type", "string"}});
        rest["description"] = "the rest of the path below the prefix; it may hold further '/' segments";
        out.push_back(std::move(rest));
    }
    bool company_declared = false;
    for (const auto& p : route.params) {
        if (p.source != conf::param_source::query) continue;
        company_declared = company_declared || field_name(p) == config.tenant_resolution.query_param;
        out.push_back(parameter(field_name(p), "query", required_value(p),
                                openapi::param_schema(p, openapi::value_form::text)));
    }
    if (selects_by(config, conf::tenant_source::query) && !company_declared) {
        out.push_back(ref("parameters", "TenantQuery"));
    }
    if (selects_by(config, conf::tenant_source::header)) out.push_back(ref("parameters", "TenantHeader"));
    return out;
}

/// The JSON body of a route: its body parameters, and a login route's credentials.
std::optional<json::object> request_body(const conf::route_config& route) {
    json::object properties;
    json::array required;
    for (const auto& p : route.params) {
        if (p.source != conf::param_source::body) continue;
        properties[field_name(p)] = openapi::param_schema(p, openapi::value_form::json);
        if (required_value(p)) required.emplace_back(field_name(p));
    }
    if (route.kind == conf::route_kind::login) {
        // checked by the login handler before the route's own parameters (UTF-8 bytes)
        for (const auto& [name, bytes] : {std::pair<std::string_view, int>{"username", 256}, {"password", 1024}}) {
            auto& field = properties[name];
            if (!field.is_object()) field = json::object{{"type", "string"}};
            field.as_object()["minLength"] = 1;
            if (!field.as_object().contains("maxLength")) field.as_object()["maxLength"] = bytes;
            if (std::find(required.begin(), required.end(), json::value(name)) == required.end()) {
                required.emplace_back(name);
            }
        }
    }
    if (properties.empty()) return std::nullopt;
    json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
    const bool any_required = !required.empty();
    if (any_required) schema["required"] = std::move(required);
    return json::object{{"required", any_required},
                        {"content", json::object{{"application/json", {{"schema", std::move(schema)}}}}}};
}

std::string_view kind_name(conf::route_kind kind) {
    switch (kind) {
        case conf::route_kind::sql: return "sql";
        case conf::route_kind::login: return "login";
        case conf::route_kind::proxy: return "proxy";
        case conf::route_kind::echo: break;
    }
    return "echo";
}

std::string kind_text(const conf::route_config& route) {
    switch (route.kind) {
        case conf::route_kind::sql: return "Runs the route's parameterised SQL on the tenant's own database.";
        case conf::route_kind::login: return "Checks a user's password against the tenant's database and signs a token.";
        case conf::route_kind::echo: return "Answers with what the gateway understood of the request.";
        case conf::route_kind::proxy: break;
    }
    std::string out = "Forwarded to the upstream `" + route.upstream + "`";
    if (!route.strip_prefix.empty()) out += " without the prefix `" + route.strip_prefix + "`";
    return out + "; the tenant, when named, is passed on in the tenant header.";
}

std::string route_description(const conf::route_config& route) {
    std::string out = kind_text(route);
    if (!route.tenant_required) out += " No tenant is needed.";
    for (const auto& p : route.params) {
        if (p.source == conf::param_source::claim) {
            out += " `" + p.name + "` is the token's `" + field_name(p) + "` claim.";
        }
    }
    return out;
}

std::string operation_id(std::string_view method, std::string_view path, std::set<std::string>& taken) {
    std::string id = lower(method);
    for (char c : path) {
        const bool word = std::isalnum(static_cast<unsigned char>(c)) != 0;
        if (word) id += c;
        else if (id.back() != '_') id += '_';
    }
    while (id.back() == '_') id.pop_back();
    std::string unique = id;
    for (int n = 2; !taken.insert(unique).second; ++n) unique = fmt::format("{}_{}", id, n);
    return unique;
}

json::object route_operation(const conf::route_config& route, std::string_view method, const conf::config& config,
                             std::set<std::string>& ids) {
    const auto info = std::get<conf::route_path_info>(conf::check_route_path(route.path));
    std::string rest_name;
    const std::string path = openapi_path(route, info, rest_name);
    json::object op{{"operationId", operation_id(method, path, ids)},
                    {"summary", fmt::format("{} {}", method, route.path)},
                    {"description", route_description(route)},
                    {"tags", json::array{kind_name(route.kind)}}};
    if (route.auth_required) op["security"] = json::array{json::object{{"bearerAuth", json::array{}}}};
    op["parameters"] = route_parameters(route, info, rest_name, config);
    if (auto body = request_body(route)) op["requestBody"] = std::move(*body);
    op["responses"] = openapi::route_responses(route);
    return op;
}

/// The route's methods that a path item can hold ("*": all of them).
std::vector<std::string_view> item_methods(const conf::route_config& route) {
    std::vector<std::string_view> out;
    for (std::string_view m : openapi_methods) {
        const bool listed = std::any_of(route.methods.begin(), route.methods.end(),
                                        [&](const std::string& r) { return r == m || r == "*"; });
        if (listed) out.push_back(m);
    }
    return out;
}

json::object route_paths(const conf::config& config, json::object paths) {
    std::set<std::string> ids;
    for (const auto& route : config.routes) {
        const auto info = std::get<conf::route_path_info>(conf::check_route_path(route.path));
        std::string rest_name;
        const std::string path = openapi_path(route, info, rest_name);
        auto& item = paths[path];
        if (!item.is_object()) item = json::object{};
        for (std::string_view method : item_methods(route)) {
            // an operator endpoint at the same path answers first
            if (item.as_object().contains(lower(method))) continue;
            item.as_object()[lower(method)] = route_operation(route, method, config, ids);
        }
    }
    return paths;
}

json::object components(const conf::config& config) {
    json::object out{{"schemas", openapi::component_schemas()},
                     {"headers", openapi::component_headers()},
                     {"securitySchemes", security_schemes(config)}};
    json::object tenant = tenant_parameters(config);
    if (!tenant.empty()) out["parameters"] = std::move(tenant);
    return out;
}

}  // namespace

json::object openapi_document(const conf::config& config, std::string_view version) {
    json::object info{{"title", "tenant-gateway"},
                      {"version", version},
                      {"description", tenant_selection_text(config) +
                                          " Every answer carries X-Request-Id; errors are "
                                          "{\"error\":{\"code\",\"message\",\"requestId\"}} with the codes "
                                          "listed per status. Generated from the configuration in force."}};
    json::object doc{{"openapi", "3.1.0"},
                     {"info", std::move(info)},
                     {"servers", servers(config)}};
    doc["paths"] = route_paths(config, openapi::operator_paths(config));
    doc["components"] = components(config);
    return doc;
}

std::string openapi_text(const conf::config& config, std::string_view version) {
    return json::serialize(openapi_document(config, version));
}

}  // namespace gateway
