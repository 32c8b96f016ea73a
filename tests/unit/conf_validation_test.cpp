// Cross-field rules: each rejection names the right place (line:col) and reason.
#include <catch2/catch.hpp>

#include "tests/unit/conf_test_util.hpp"

using conf_test::load;
using conf_test::load_error;

TEST_CASE("pools: min_size <= max_size and max_size >= 1", "[conf][validation]") {
    CHECK(load_error("pools:\n  min_size: 5\n  max_size: 4\n") ==
          "t.yaml:2:13: pools.min_size is greater than pools.max_size");
    CHECK(load_error("pools:\n  min_size: 11\n") ==
          "t.yaml:2:13: pools.min_size is greater than pools.max_size");
    CHECK(load_error("pools:\n  max_size: 0\n") ==
          "t.yaml:2:13: expected an integer in 1..18446744073709551615");
    CHECK(load("pools:\n  min_size: 4\n  max_size: 4\n").pools.min_size == 4);
}

TEST_CASE("listen: io_threads 1..256 and port 0..65535", "[conf][validation]") {
    CHECK(load_error("listen:\n  io_threads: 0\n") == "t.yaml:2:15: expected an integer in 1..256");
    CHECK(load_error("listen:\n  io_threads: 257\n") ==
          "t.yaml:2:15: expected an integer in 1..256");
    CHECK(load("listen:\n  io_threads: 256\n").listen.io_threads == 256);
    CHECK(load_error("listen:\n  port: 65536\n") == "t.yaml:2:9: expected an integer in 0..65535");
    CHECK(load("listen:\n  port: 65535\n").listen.port == 65535);
    CHECK(load("listen:\n  port: 0\n").listen.port == 0);
    CHECK(load_error("tenants:\n  - {code: A, server: s, database: d, port: 0}\n") ==
          "t.yaml:2:45: expected an integer in 1..65535");
    CHECK(load_error("listen:\n  address: ''\n") ==
          "t.yaml:2:12: listen.address must not be empty");
}

TEST_CASE("tenant codes are valid, upper-cased and unique", "[conf][validation]") {
    const conf::config c = load(R"(
tenants:
  - {code: acme, server: s, database: d}
  - {code: Global_Sec-2, server: s, database: d}
)");
    CHECK(c.tenants[0].code == "ACME");
    CHECK(c.tenants[1].code == "GLOBAL_SEC-2");
    const char* message = "a tenant code must be 1 to 64 of A-Z, a-z, 0-9, '_' and '-'";
    CHECK(load_error("tenants:\n  - {code: 'AC ME', server: s, database: d}\n") ==
          std::string("t.yaml:2:12: ") + message);
    CHECK(load_error("tenants:\n  - {code: 'ACME.COM', server: s, database: d}\n") ==
          std::string("t.yaml:2:12: ") + message);
    CHECK(load_error("tenants:\n  - {code: '', server: s, database: d}\n") ==
          std::string("t.yaml:2:12: ") + message);
    const std::string long_code(65, 'A');
    CHECK(load_error("tenants:\n  - {code: " + long_code + ", server: s, database: d}\n") ==
          std::string("t.yaml:2:12: ") + message);
    CHECK(load("tenants:\n  - {code: " + std::string(64, 'a') + ", server: s, database: d}\n")
              .tenants[0]
              .code == std::string(64, 'A'));
    CHECK(load_error(R"(
tenants:
  - {code: ACME, server: s, database: d}
  - {code: TECHSTART, server: s, database: d}
  - {code: acme, server: s, database: d}
)") == "t.yaml:4:12: duplicate tenant code ACME");
}

TEST_CASE("a tenant needs code, server and database", "[conf][validation]") {
    CHECK(load_error(R"(
tenants:
  - code: ACME
    database: d
)") == "t.yaml:2:5: tenant ACME needs a non-empty server");
    CHECK(load_error(R"(
tenants:
  - code: ACME
    server: s
    database: ""
)") == "t.yaml:4:15: tenant ACME needs a non-empty database");
    CHECK(load_error("tenants:\n  - {server: s, database: d}\n") ==
          "t.yaml:2:5: a tenant needs a non-empty code");
    CHECK(load_error("tenants:\n  - {code: A, server: s, database: d, max_connections: 0}\n") ==
          "t.yaml:2:56: expected an integer in 1..18446744073709551615");
}

TEST_CASE("route paths: leading '/', '*' only as final '/*', valid unique {params}",
          "[conf][validation]") {
    struct path_case {
        const char* path;
        const char* reason;  // nullptr: valid
    };
    const path_case cases[] = {
        {"/", nullptr},
        {"/api/customers", nullptr},
        {"/api/customers/{id}", nullptr},
        {"/api/{customer_id}/sites/{site_id2}", nullptr},
        {"/app/*", nullptr},
        {"/*", nullptr},
        {"/api/{id}/*", nullptr},
        {"api/customers", "a route path must start with '/'"},
        {"*", "a route path must start with '/'"},
        {"/app/*/x", "'*' may only appear as the final \"/*\" segment"},
        {"/app*", "'*' may only appear as the final \"/*\" segment"},
        {"/app/x*", "'*' may only appear as the final \"/*\" segment"},
        {"/app/**", "'*' may only appear as the final \"/*\" segment"},
        {"/api/{1id}", "invalid path parameter name '1id'"},
        {"/api/{}", "invalid path parameter name ''"},
        {"/api/{a-b}", "invalid path parameter name 'a-b'"},
        {"/api/id{id}", "a '{name}' capture must be a whole path segment"},
        {"/api/{id}x", "a '{name}' capture must be a whole path segment"},
        {"/api/{id", "a '{name}' capture must be a whole path segment"},
        {"/api/{id}/x/{id}", "path parameter 'id' appears twice"},
        {"/api//x", "a route path must not contain an empty segment ('//' or a trailing '/')"},
        {"/api/", "a route path must not contain an empty segment ('//' or a trailing '/')"},
    };
    for (const path_case& c : cases) {
        INFO("path: " << c.path);
        const std::string error =
            load_error(std::string("routes:\n  - path: '") + c.path + "'\n    kind: echo\n");
        if (c.reason == nullptr) {
            CHECK(error.empty());
        } else {
            CHECK(error == std::string("t.yaml:2:11: ") + c.reason);
        }
    }
    CHECK(load_error("routes:\n  - method: GET\n") == "t.yaml:2:5: a route needs a path");
}

TEST_CASE("methods: list or single, upper-cased, not both, not empty", "[conf][validation]") {
    const conf::config c =
        load("routes:\n  - {method: post, path: /a, kind: echo}\n  - {methods: [get, delete], path: /b, kind: echo}\n");
    CHECK(c.routes[0].methods == std::vector<std::string>{"POST"});
    CHECK(c.routes[1].methods == std::vector<std::string>{"GET", "DELETE"});
    CHECK(load_error("routes:\n  - {method: GET, methods: [POST], path: /a, kind: echo}\n") ==
          "t.yaml:2:14: give either method or methods, not both");
    CHECK(load_error("routes:\n  - {methods: [], path: /a, kind: echo}\n") ==
          "t.yaml:2:15: a route needs at least one method");
    CHECK(load_error("routes:\n  - {methods: [GET, get], path: /a, kind: echo}\n") ==
          "t.yaml:2:21: method GET listed twice");
    CHECK(load_error("routes:\n  - {method: 'GE T', path: /a, kind: echo}\n") ==
          "t.yaml:2:14: an HTTP method is a word such as GET or POST, or *");
    CHECK(load("routes:\n  - {method: '*', path: /a, kind: echo}\n").routes[0].methods ==
          std::vector<std::string>{"*"});
}

TEST_CASE("the same method and path may not be served twice", "[conf][validation]") {
    CHECK(load_error(R"(
routes:
  - {method: GET, path: /api/customers, kind: echo}
  - {method: POST, path: /api/customers, kind: echo}
  - {methods: [PUT, GET], path: /api/customers, kind: echo}
)") == "t.yaml:4:33: another route already serves GET /api/customers");
    CHECK(load_error(R"(
routes:
  - {method: GET, path: "/api/customers/{id}", kind: echo}
  - {method: GET, path: "/api/customers/{customer}", kind: echo}
)") == "t.yaml:3:25: another route already serves GET /api/customers/{customer}");
    CHECK(load_error(R"(
routes:
  - {path: /app/*, kind: echo}
  - {path: /app/*, tenant_required: false, kind: echo}
)") == "t.yaml:3:12: another route already serves GET /app/*");
    CHECK(load_error(R"(
routes:
  - {method: POST, path: /a, kind: echo}
  - {method: '*', path: /a, kind: echo}
)") == "t.yaml:3:25: another route already serves POST /a");
    CHECK(load_error(R"(
routes:
  - {methods: ['*'], path: /a, kind: echo}
  - {method: DELETE, path: /a, kind: echo}
)") == "t.yaml:3:28: another route already serves DELETE /a");
    // A prefix and a literal path with the same text are different patterns.
    CHECK(load_error(R"(
routes:
  - {path: /app/*, kind: echo}
  - {path: /app, kind: echo}
  - {path: "/app/{page}", kind: echo}
)")
              .empty());
}

TEST_CASE("a route names its kind: none is a default", "[conf][validation]") {
    CHECK(load_error("routes:\n  - {path: /a}\n") ==
          "t.yaml:2:5: a route needs kind: sql, login, proxy or echo");
    CHECK(load_error("routes:\n  - method: GET\n    path: /a\n") ==
          "t.yaml:2:5: a route needs kind: sql, login, proxy or echo");
    CHECK(load_error("routes:\n  - {path: /a, kind: echo}\n").empty());
}

TEST_CASE("a route's sql may not change the text size that bounds a cell", "[conf][validation]") {
    CHECK(load_error("routes:\n  - {path: /a, kind: sql, sql: \"set  textsize -1; SELECT 1\"}\n") ==
          "t.yaml:2:32: a route's sql may not SET TEXTSIZE: the gateway sets it from max_cell_bytes");
    CHECK(load_error("routes:\n  - path: /a\n    kind: sql\n    sql: |\n      SET\n        TEXTSIZE 0\n") ==
          "t.yaml:4:10: a route's sql may not SET TEXTSIZE: the gateway sets it from max_cell_bytes");
    CHECK(load_error("routes:\n  - {path: /a, kind: sql, sql: SELECT TextSize FROM Settings}\n").empty());
}

TEST_CASE("route kinds need their fields", "[conf][validation]") {
    CHECK(load_error("routes:\n  - {path: /a, kind: sql}\n") ==
          "t.yaml:2:22: a sql route needs sql");
    CHECK(load_error("routes:\n  - {path: /login, kind: login}\n") ==
          "t.yaml:2:26: a login route needs sql");
    CHECK(load_error("routes:\n  - {path: /web/*, kind: proxy}\n") ==
          "t.yaml:2:26: a proxy route needs upstream");
    CHECK(load_error(R"(
upstreams:
  - {name: webapp, servers: ["http://127.0.0.1:5173"]}
routes:
  - {path: /web/*, kind: proxy, upstream: web-app}
)") == "t.yaml:4:43: route /web/* names upstream web-app, which is not defined");
    CHECK(load_error(R"(
routes:
  - {path: /web/*, kind: proxy, upstream: webapp}
upstreams:
  - {name: webapp, servers: ["http://127.0.0.1:5173"]}
)")
              .empty());
}

TEST_CASE("route params: unique names, path params captured, min <= max", "[conf][validation]") {
    CHECK(load_error(R"(
routes:
  - path: /api/customers/{id}
    kind: sql
    sql: SELECT 1
    params:
      - {name: id, from: path}
      - {name: site, from: path}
)") == "t.yaml:7:16: parameter site is read from the path but the path has no {site}");
    CHECK(load_error(R"(
routes:
  - path: /api/customers/{cid}
    sql: SELECT 1
    params:
      - {name: id, from: path, key: cid}
      - {name: id, from: query}
)") == "t.yaml:6:16: parameter id declared twice");
    CHECK(load_error(R"(
routes:
  - path: /a
    params:
      - {name: n, type: int, min: 10, max: 1}
)") == "t.yaml:4:44: parameter n: min is greater than max");
    CHECK(load_error("routes:\n  - {path: /a, params: [{type: int}], kind: echo}\n") ==
          "t.yaml:2:25: a route parameter needs a name made of A-Z, a-z, 0-9 and '_'");
    CHECK(load_error("routes:\n  - {path: /a, params: [{name: 'bad name'}], kind: echo}\n") ==
          "t.yaml:2:32: a route parameter needs a name made of A-Z, a-z, 0-9 and '_'");
    const conf::config ok = load(R"(
routes:
  - path: /api/customers/{cid}
    kind: echo
    params:
      - {name: id, from: path, key: cid, min: 1, max: 1}
)");
    CHECK(ok.routes[0].params[0].key == "cid");
}

TEST_CASE("upstreams: unique names, http://host:port servers", "[conf][validation]") {
    CHECK(load_error(R"(
upstreams:
  - {name: web, servers: ["http://127.0.0.1:1"]}
  - {name: web, servers: ["http://127.0.0.1:2"]}
)") == "t.yaml:3:12: duplicate upstream name web");
    const char* message = "an upstream server must be a URL http://host:port[/path]";
    for (const char* server :
         {"https://h:443", "http://h", "http://:80", "http://h:0", "http://h:65536", "http://h:80x",
          "h:80", "http://h a:80", "ftp://h:21", "http://h:/x", "http://u:p@h:1", "http://h:1/b?q=1",
          "http://h:1#f", "http://h%41:1", "http://h!:1", "http://[v1.x]:1"}) {
        INFO("server: " << server);
        CHECK(load_error(std::string("upstreams:\n  - name: w\n    servers: ['") + server +
                         "']\n") == std::string("t.yaml:3:15: ") + message);
    }
    CHECK(load_error("upstreams:\n  - {name: w, servers: []}\n") ==
          "t.yaml:2:24: upstream w needs at least one server");
    CHECK(load_error("upstreams:\n  - {servers: ['http://h:1']}\n") ==
          "t.yaml:2:5: an upstream needs a non-empty name");
    CHECK(load_error(
              "upstreams:\n  - {name: w, servers: ['http://h:1'], health_check: {path: x}}\n") ==
          "t.yaml:2:61: health_check.path must start with '/'");
    CHECK(
        load_error(
            "upstreams:\n  - {name: w, servers: ['http://h:1'], health_check: {interval: 0}}\n") ==
        "t.yaml:2:65: health_check.interval must be greater than 0");
}

TEST_CASE("registry source tds needs server and database", "[conf][validation]") {
    CHECK(load_error("registry:\n  source: tds\n") ==
          "t.yaml:2:11: registry source tds needs registry.server");
    CHECK(load_error("registry:\n  source: tds\n  server: r\n  database: ''\n") ==
          "t.yaml:2:11: registry source tds needs registry.database");
    const conf::config c = load("registry:\n  source: tds\n  server: r\n");
    CHECK(c.registry.database == "TenantRegistry");
}

TEST_CASE("access token needs a non-empty token", "[conf][validation]") {
    CHECK(load_error("admin:\n  enabled: true\n  access: token\n") ==
          "t.yaml:3:11: admin.access token needs a non-empty admin.token");
    CHECK(load_error("health:\n  access: token\n  token: ''\n") ==
          "t.yaml:2:11: health.access token needs a non-empty health.token");
    CHECK(load_error("metrics:\n  access: token\n") ==
          "t.yaml:2:11: metrics.access token needs a non-empty metrics.token");
    CHECK(load("metrics:\n  access: token\n  token: x\n").metrics.token == "x");
}

TEST_CASE("admin endpoints need a token unless access is chosen", "[conf][validation]") {
    CHECK(load_error("admin:\n  enabled: true\n") ==
          "t.yaml:2:3: admin.access token needs a non-empty admin.token");
    CHECK(load("admin:\n  enabled: false\n").admin.access == conf::access_policy::token);
    CHECK(load("admin:\n  enabled: true\n  token: t\n").admin.access == conf::access_policy::token);
    CHECK(load("admin:\n  enabled: true\n  access: loopback\n").admin.access ==
          conf::access_policy::loopback);
}

TEST_CASE("trusted proxies are networks", "[conf][validation]") {
    const conf::config c = load("listen:\n  trusted_proxies: [127.0.0.1/32, 10.0.0.0/8, '::1/128']\n");
    CHECK(c.listen.trusted_proxies.size() == 3);
    CHECK(load_error("listen:\n  trusted_proxies: [127.0.0.1]\n") ==
          "t.yaml:2:21: \"127.0.0.1\" is not a network such as 10.0.0.0/8 or ::1/128");
    CHECK(load_error("listen:\n  trusted_proxies: [10.0.0.0/33]\n").find("is not a network") !=
          std::string::npos);
    CHECK(load_error("listen:\n  trusted_proxies: [nginx/8]\n").find("is not a network") !=
          std::string::npos);
}

TEST_CASE("breaker: base_backoff <= max_backoff", "[conf][validation]") {
    CHECK(load_error("pools:\n  breaker:\n    base_backoff: 2m\n    max_backoff: 60s\n") ==
          "t.yaml:3:19: pools.breaker.base_backoff is greater than max_backoff");
    CHECK(load_error("pools:\n  breaker: {base_backoff: 61s}\n") ==
          "t.yaml:2:27: pools.breaker.base_backoff is greater than max_backoff");
    CHECK(load("pools:\n  breaker: {base_backoff: 5s, max_backoff: 5s}\n")
              .pools.breaker.max_backoff == std::chrono::seconds(5));
}

TEST_CASE("limits must be greater than zero", "[conf][validation]") {
    for (const char* key : {"max_header_bytes", "max_body_bytes", "max_client_connections",
                            "max_pipelined_requests"}) {
        INFO("key: " << key);
        const std::string text = std::string("limits:\n  ") + key + ": 0\n";
        const std::string column = std::to_string(2 + std::string(key).size() + 3);
        CHECK(load_error(text) ==
              "t.yaml:2:" + column + ": expected an integer in 1..18446744073709551615");
    }
}

TEST_CASE("tenant_resolution.order: non-empty, no duplicates", "[conf][validation]") {
    CHECK(load_error("tenant_resolution:\n  order: []\n") ==
          "t.yaml:2:10: tenant_resolution.order must name at least one source");
    CHECK(load_error("tenant_resolution:\n  order: [query, header, query]\n") ==
          "t.yaml:2:26: tenant source listed twice in tenant_resolution.order");
    CHECK(load("tenant_resolution:\n  order: [token]\n").tenant_resolution.order ==
          std::vector<conf::tenant_source>{conf::tenant_source::token});
}

TEST_CASE("subdomain resolution needs base domains, lower-cased without a leading dot",
          "[conf][validation]") {
    CHECK(load_error("tenant_resolution:\n  order: [subdomain, query]\n") ==
          "t.yaml:2:10: subdomain resolution needs tenant_resolution.base_domains");
    CHECK(load_error("tenant_resolution:\n  order: [subdomain]\n  base_domains: []\n") ==
          "t.yaml:2:10: subdomain resolution needs tenant_resolution.base_domains");
    CHECK(load_error("tenant_resolution:\n  base_domains: [.yourapp.com]\n") ==
          "t.yaml:2:18: a base domain must not be empty or start or end with '.'");
    CHECK(load_error("tenant_resolution:\n  base_domains: ['your app.com']\n") ==
          "t.yaml:2:18: a base domain must be a DNS name such as yourapp.com");
    CHECK(load_error("tenant_resolution:\n  ignored_subdomains: [www.x]\n") ==
          "t.yaml:2:24: an ignored subdomain is a single non-empty DNS label such as www");
    const conf::config c =
        load("tenant_resolution:\n  order: [subdomain]\n  base_domains: [YourApp.Com]\n");
    CHECK(c.tenant_resolution.base_domains == std::vector<std::string>{"yourapp.com"});
    // The default order names subdomain too, but only a written order is held to it.
    CHECK(load("tenant_resolution:\n  header: X-Tenant\n").tenant_resolution.base_domains.empty());
}

TEST_CASE("sources in the order need their names", "[conf][validation]") {
    CHECK(load_error("tenant_resolution:\n  order: [query]\n  query_param: ''\n") ==
          "t.yaml:3:16: tenant_resolution.query_param must not be empty");
    CHECK(load_error("tenant_resolution:\n  order: [header]\n  header: ''\n") ==
          "t.yaml:3:11: tenant_resolution.header must not be empty");
    CHECK(load_error("tenant_resolution:\n  order: [token]\n  token_claim: ''\n") ==
          "t.yaml:3:16: tenant_resolution.token_claim must not be empty");
}

TEST_CASE("registry: retry_base > 0, retry_max >= retry_base, lookup_burst >= 1",
          "[conf][validation]") {
    CHECK(load_error("registry:\n  retry_base: 0s\n") ==
          "t.yaml:2:15: registry.retry_base must be positive");
    CHECK(load_error("registry:\n  retry_base: 5s\n  retry_max: 1s\n") ==
          "t.yaml:3:14: registry.retry_max must not be below registry.retry_base");
    CHECK(load_error("registry:\n  lookup_burst: 0\n") != "");
    CHECK(load_error("registry:\n  max_lookups_per_second: 0\n  retry_base: 2s\n  retry_max: 2s\n") == "");
}

TEST_CASE("listen.tls: files readable, ports distinct, hsts in whole seconds", "[conf][validation]") {
    const std::string pem = conf_test::secret_file();  // any readable file: the gateway loads it later
    const conf::config c = load("listen:\n  port: 8080\n  tls:\n    port: 8443\n    cert_file: " + pem +
                                "\n    key_file: " + pem + "\n    hsts: {max_age: 2h, include_subdomains: true}\n");
    CHECK(c.listen.tls.enabled);
    CHECK(c.listen.tls.port == 8443);
    CHECK(c.listen.tls.hsts.enabled);
    CHECK(c.listen.tls.hsts.max_age == std::chrono::hours(2));
    CHECK(c.listen.tls.hsts.include_subdomains);
    CHECK_FALSE(load("listen:\n  port: 8080\n").listen.tls.enabled);
    CHECK(load_error("listen:\n  tls:\n    cert_file: " + pem + "\n") == "t.yaml:3:5: listen.tls needs key_file");
    CHECK(load_error("listen:\n  tls:\n    cert_file: /nonexistent/cert.pem\n    key_file: " + pem + "\n")
              .find("listen.tls.cert_file '/nonexistent/cert.pem' cannot be read") != std::string::npos);
    CHECK(load_error("listen:\n  port: 9000\n  tls: {port: 9000, cert_file: " + pem + ", key_file: " + pem + "}\n")
              .find("listen.tls.port must differ from listen.port") != std::string::npos);
    CHECK(load_error("listen:\n  tls: {cert_file: " + pem + ", key_file: " + pem + ", hsts: {max_age: 1500ms}}\n")
              .find("whole number of seconds") != std::string::npos);
    CHECK(load_error("listen:\n  tls: {cert_file: " + pem + ", key_file: " + pem + ", ciphers: ALL}\n")
              .find("ciphers") != std::string::npos);
}
