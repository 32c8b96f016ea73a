// The OpenAPI document generated from a small configuration: paths, parameters with
// their constraints, security, result shapes and error codes, and its stable text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "conf/loader.hpp"
#include "gateway/admin/openapi_document.hpp"
#include "gateway/admin/openapi_responses.hpp"

namespace json = boost::json;

namespace {

constexpr std::string_view config_text = R"(listen: {port: 0}
tenant_resolution:
  order: [query, subdomain, header, token]
  base_domains: [yourapp.com]
tenants:
  - {code: ACME, server: db, database: AcmeDB}
routes:
  - method: GET
    path: /api/tickets
    kind: sql
    max_rows: 20
    sql: SELECT 1 AS x WHERE @status = @status
    params:
      - {name: status, type: string, pattern: "Open|Closed", max_length: 10}
      - {name: limit, type: int, default: "50", min: 1, max: 200}
  - method: GET
    path: /api/tickets/{id}
    kind: sql
    auth: required
    result: one
    sql: SELECT 1 AS x WHERE @id = @id
    params:
      - {name: id, from: path, type: int, required: true, min: 1}
      - {name: user, from: claim, key: sub, type: int, required: true}
  - method: PUT
    path: /api/tickets/{id}
    kind: sql
    result: exec
    sql: UPDATE T SET a = @a WHERE id = @id
    params:
      - {name: id, from: path, type: int, required: true}
      - {name: a, from: body, type: decimal, required: true, min: 0}
  - methods: [GET, POST]
    path: /app/*
    kind: proxy
    upstream: web
    tenant_required: false
  - method: GET
    path: /echo/{x}
    kind: echo
upstreams:
  - {name: web, servers: [http://127.0.0.1:9]}
)";

json::object document() {
    const auto config = conf::load_string(std::string(config_text), "t.yaml");
    return gateway::openapi_document(config, "1.2.3");
}

const json::object& at(const json::object& o, std::string_view key) {
    INFO(key);
    REQUIRE(o.contains(key));
    return o.at(key).as_object();
}

/// The parameter named `name` of an operation (not a $ref).
json::object param(const json::object& op, std::string_view name) {
    for (const auto& p : op.at("parameters").as_array()) {
        const auto& o = p.as_object();
        if (o.contains("name") && o.at("name").as_string() == name) return o;
    }
    FAIL("no parameter " << name);
    return {};
}

json::array codes(const json::object& response) {
    const auto& schema = response.at("content").at("application/json").at("schema");
    return schema.at("allOf").at(1).at("properties").at("error").at("properties").at("code").at("enum").as_array();
}

}  // namespace

TEST_CASE("openapi: the document's frame and stable text", "[gateway][openapi]") {
    const auto config = conf::load_string(std::string(config_text), "t.yaml");
    const std::string text = gateway::openapi_text(config, "1.2.3");
    CHECK(text == gateway::openapi_text(config, "1.2.3"));
    CHECK(text.rfind(R"({"openapi":"3.1.0","info":{"title":"tenant-gateway","version":"1.2.3")", 0) == 0);
    const auto doc = json::parse(text).as_object();
    const auto& servers = doc.at("servers").as_array();
    REQUIRE(servers.size() == 2);
    CHECK(servers[1].at("url") == "{scheme}://{company}.yourapp.com");
    const auto& components = at(doc, "components");
    CHECK(at(components, "parameters").contains("TenantQuery"));
    CHECK(at(at(components, "parameters"), "TenantHeader").at("name") == "X-Company-Code");
    CHECK(at(at(components, "securitySchemes"), "bearerAuth").at("bearerFormat") == "JWT");
    for (const char* path : {"/livez", "/readyz", "/health", "/metrics", "/openapi.json"}) {
        CHECK(at(doc, "paths").contains(path));
    }
}

TEST_CASE("openapi: parameters carry types and constraints", "[gateway][openapi]") {
    const auto doc = document();
    const auto& list = at(at(at(doc, "paths"), "/api/tickets"), "get");
    const auto status = param(list, "status");
    CHECK(status.at("in") == "query");
    CHECK(status.at("required") == false);
    CHECK(status.at("schema").at("pattern") == "^(?:Open|Closed)$");
    CHECK(status.at("schema").at("maxLength") == 10);
    const auto limit = param(list, "limit").at("schema").as_object();
    CHECK(limit.at("type") == "integer");
    CHECK(limit.at("minimum") == 1);
    CHECK(limit.at("maximum") == 200);
    CHECK(limit.at("default") == 50);
    // the tenant selectors are shared parameters
    CHECK(json::serialize(list.at("parameters")).find("#/components/parameters/TenantQuery") != std::string::npos);

    const auto& one = at(at(at(doc, "paths"), "/api/tickets/{id}"), "get");
    const auto id = param(one, "id");
    CHECK(id.at("in") == "path");
    CHECK(id.at("required") == true);
    CHECK(id.at("schema").at("minimum") == 1);
    CHECK(id.at("schema").at("maximum") == 2147483647);
    CHECK(one.at("security").at(0).as_object().contains("bearerAuth"));
    // a claim is no request parameter
    CHECK(json::serialize(one.at("parameters")).find("\"user\"") == std::string::npos);

    const auto& put = at(at(at(doc, "paths"), "/api/tickets/{id}"), "put");
    const auto& body = put.at("requestBody").at("content").at("application/json").at("schema");
    CHECK(body.at("required").at(0) == "a");
    CHECK(body.at("properties").at("a").at("type").as_array().size() == 2);  // text or JSON number
    CHECK(!put.contains("security"));
}

TEST_CASE("openapi: result shapes and error codes by route", "[gateway][openapi]") {
    const auto doc = document();
    const auto& paths = at(doc, "paths");
    const auto& many = at(at(at(paths, "/api/tickets"), "get"), "responses");
    CHECK(many.at("200").at("content").at("application/json").at("schema").at("maxItems") == 20);
    CHECK(at(many, "200").at("headers").as_object().contains("X-Result-Truncated"));
    CHECK(!many.contains("401"));
    CHECK(codes(at(many, "400")).size() == 7);  // framing, tenant, json, validation
    CHECK(at(many, "429").at("headers").at("Retry-After").at("$ref") == "#/components/headers/Retry-After");

    const auto& one = at(at(at(paths, "/api/tickets/{id}"), "get"), "responses");
    CHECK(one.at("200").at("content").at("application/json").at("schema").at("$ref") == "#/components/schemas/Row");
    CHECK(codes(at(one, "401")) == json::array{"unauthorized"});
    CHECK(codes(at(one, "403")) == json::array{"tenant_mismatch"});
    CHECK(codes(at(one, "404")) == json::array{"tenant_not_found", "not_found"});
    // an auth route answers 401 rather than tenant_required, and 503 auth_unavailable
    // without Retry-After
    const auto& no_tenant = gateway::openapi::route_error_codes(
        conf::load_string(std::string(config_text), "t.yaml").routes[1], 400);
    CHECK(std::find(no_tenant.begin(), no_tenant.end(), "tenant_required") == no_tenant.end());
    CHECK(at(one, "503").at("headers").at("Retry-After").at("$ref") ==
          "#/components/headers/Retry-After-Optional");

    const auto& exec = at(at(at(paths, "/api/tickets/{id}"), "put"), "responses");
    CHECK(exec.at("200").at("content").at("application/json").at("schema").at("required").at(0) == "rowsAffected");
    CHECK(!exec.contains("401"));
}

TEST_CASE("openapi: a prefix proxy route and an echo route", "[gateway][openapi]") {
    const auto doc = document();
    const auto& item = at(at(doc, "paths"), "/app/{rest}");
    CHECK(item.contains("get"));
    CHECK(item.contains("post"));
    CHECK(!item.contains("put"));
    const auto& responses = at(at(item, "get"), "responses");
    CHECK(responses.contains("default"));  // the upstream's own answer
    CHECK(codes(at(responses, "502")) == json::array{"upstream_unavailable"});
    CHECK(codes(at(responses, "504")) == json::array{"upstream_timeout"});
    CHECK(!responses.contains("413"));  // a relayed body streams through
    const auto& echo = at(at(at(at(doc, "paths"), "/echo/{x}"), "get"), "responses");
    CHECK(echo.at("200").at("content").at("application/json").at("schema").at("required").as_array().size() == 7);
}
