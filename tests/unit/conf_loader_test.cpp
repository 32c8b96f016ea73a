// conf::load_string / load_file: every section parsed into its struct, defaults,
// the example file, and located errors for syntax, unknown keys and wrong types.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/unit/conf_test_util.hpp"

using namespace std::chrono_literals;
using conf_test::load;
using conf_test::load_error;

TEST_CASE("an empty document gives the defaults of conf/config.hpp", "[conf][loader]") {
    for (const char* text : {"", "# only a comment\n", "---\n"}) {
        const conf::config c = load(text);
        const conf::config defaults;
        CHECK(c.source_path == "t.yaml");
        CHECK(c.listen.address == defaults.listen.address);
        CHECK(c.listen.port == 8080);
        CHECK(c.listen.io_threads == 2);
        CHECK(c.limits.max_header_bytes == 16 * 1024);
        CHECK(c.limits.header_timeout == 10s);
        CHECK(c.tenant_resolution.order == defaults.tenant_resolution.order);
        CHECK(c.tenant_resolution.query_param == "company");
        CHECK(c.tenant_resolution.ignored_subdomains == std::vector<std::string>{"www"});
        CHECK(c.tenants.empty());
        CHECK(c.routes.empty());
        CHECK(c.upstreams.empty());
        CHECK(c.pools.max_size == 10);
        CHECK(c.pools.idle_timeout == 5min);
        CHECK(c.pools.breaker.max_backoff == 60s);
        CHECK(c.registry.source == conf::registry_source::yaml);
        CHECK(c.registry.default_user == "fieldservice_api");
        CHECK(c.registry.hosting.azure_patterns == defaults.registry.hosting.azure_patterns);
        CHECK_FALSE(c.admin.enabled);
        CHECK(c.admin.access == conf::access_policy::token);
        CHECK(c.health.access == conf::access_policy::open);
        CHECK(c.metrics.enabled);
        CHECK(c.auth.token_ttl == 1h);
    }
}

TEST_CASE("fields left out of a section keep their defaults", "[conf][loader]") {
    const conf::config c = load(R"(
listen:
  port: 0
tenants:
  - code: acme
    server: acme-sql.database.windows.net
    database: FieldServiceDB_ACME
routes:
  - path: /api/customers
    kind: echo
)");
    CHECK(c.listen.port == 0);
    CHECK(c.listen.address == "0.0.0.0");
    REQUIRE(c.tenants.size() == 1);
    const conf::tenant_config& t = c.tenants[0];
    CHECK(t.code == "ACME");
    CHECK(t.port == 1433);
    CHECK(t.user.empty());
    CHECK(t.active);
    CHECK(t.tls == conf::tls_overrides{});  // every TLS key from pools:
    CHECK(c.pools.tls.encrypt);             // ODBC Driver 18's defaults
    CHECK_FALSE(c.pools.tls.trust_server_certificate);
    CHECK(c.pools.tls.ca_file.empty());
    CHECK_FALSE(t.max_connections.has_value());
    REQUIRE(c.routes.size() == 1);
    const conf::route_config& r = c.routes[0];
    CHECK(r.methods == std::vector<std::string>{"GET"});
    CHECK(r.kind == conf::route_kind::echo);
    CHECK(r.tenant_required);
    CHECK_FALSE(r.auth_required);
    CHECK(r.result == conf::result_mode::many);
    CHECK(r.max_rows == 1000);
    CHECK_FALSE(r.query_timeout.has_value());
}

TEST_CASE("every section and field is read into its struct", "[conf][loader]") {
    conf_test::set_secret_env({"REGISTRY_PW", "API_PW", "AUTH_KEY"});
    REQUIRE(conf_test::secret_file() == "/tmp/tg-conf-test-secret");
    const conf::config c = load(R"(
listen: {address: 127.0.0.1, port: 9000, io_threads: 4}
limits:
  max_header_bytes: 8192
  max_body_bytes: 2048
  header_timeout: 1s
  read_timeout: 2s
  write_timeout: 3s
  idle_timeout: 4s
  max_client_connections: 50
  max_pipelined_requests: 3
  drain_timeout: 250ms
tenant_resolution:
  order: [header, token, query, subdomain]
  query_param: tenant
  base_domains: [YourApp.COM, other.example]
  ignored_subdomains: [WWW, api]
  header: X-Tenant
  token_claim: org
tenants:
  - code: Tech_Start-1
    name: TechStart Inc
    server: sql.techstart.com
    port: 14330
    database: FieldServiceDB
    user: fs
    credential_ref: file:/tmp/tg-conf-test-secret
    encrypt: false
    trust_server_certificate: true
    host_name_in_certificate: sql.techstart.example
    active: false
    max_connections: 3
routes:
  - methods: [get, Post]
    path: /api/customers/{id}/tickets
    kind: sql
    tenant_required: true
    auth: required
    sql: SELECT * FROM Tickets WHERE CustomerId = @id AND Status = @status
    params:
      - {name: id, type: int, from: path, required: true, min: 1, max: 1e6}
      - name: status
        type: string
        from: query
        key: s
        default: open
        max_length: 20
        pattern: "^[a-z]+$"
      - {name: big, type: bigint, from: body}
      - {name: ratio, type: number, from: claim, min: -1.5, max: 2.5}
      - {name: flag, type: bool}
      - {name: at, type: datetime}
      - {name: blob, type: binary}
    result: one
    max_rows: 5
    query_timeout: 2s
  - method: POST
    path: /api/auth/login
    kind: login
    sql: SELECT Id FROM Users WHERE Username = @username
    result: exec
  - method: GET
    path: /web/*
    kind: proxy
    upstream: webapp
    strip_prefix: /web
    tenant_required: false
    auth: none
upstreams:
  - name: webapp
    servers: [http://127.0.0.1:5173, "http://web-2.internal:8080/base"]
    balance: least_in_flight
    max_connections_per_server: 8
    max_idle_per_server: 2
    connect_timeout: 1s
    read_timeout: 5s
    total_timeout: 9s
    preserve_host: false
    passive_failures: 5
    health_check:
      path: /healthz
      interval: 3s
      timeout: 500ms
      healthy_threshold: 1
      unhealthy_threshold: 4
pools:
  min_size: 1
  max_size: 4
  max_waiters: 7
  max_opening: 3
  acquire_timeout: 1s
  login_timeout: 2s
  query_timeout: 3s
  idle_timeout: 4m
  max_lifetime: 1h
  validate_after: 10s
  unused_pool_timeout: 20m
  max_total_connections: 99
  max_connections_per_host: 9
  worker_threads: 6
  breaker: {failure_threshold: 2, base_backoff: 500ms, max_backoff: 5s}
registry:
  source: tds
  server: registry.internal
  port: 1444
  database: Tenants
  user: reader
  credential_ref: env:REGISTRY_PW
  refresh_interval: 15s
  negative_cache_ttl: 5s
  negative_cache_max: 12
  max_lookups_per_second: 3
  lookup_burst: 4
  retry_base: 250ms
  retry_max: 10s
  snapshot_file: /var/lib/tg/registry.json
  default_user: api
  default_credential_ref: env:API_PW
  hosting:
    own_server_patterns: ["*ours*"]
    azure_patterns: []
    aws_patterns: ["*.aws"]
admin: {enabled: true, access: token, token: abc}
health: {access: loopback, token: t, probe_interval: 1m, probe_timeout: 1s}
metrics: {enabled: false, access: token, token: m, max_tenant_labels: 10}
auth: {secret_ref: env:AUTH_KEY, issuer: me, token_ttl: 2h}
)");
    CHECK(c.listen.address == "127.0.0.1");
    CHECK(c.listen.port == 9000);
    CHECK(c.listen.io_threads == 4);

    CHECK(c.limits.max_header_bytes == 8192);
    CHECK(c.limits.max_body_bytes == 2048);
    CHECK(c.limits.header_timeout == 1s);
    CHECK(c.limits.read_timeout == 2s);
    CHECK(c.limits.write_timeout == 3s);
    CHECK(c.limits.idle_timeout == 4s);
    CHECK(c.limits.max_client_connections == 50);
    CHECK(c.limits.max_pipelined_requests == 3);
    CHECK(c.limits.drain_timeout == 250ms);

    using ts = conf::tenant_source;
    CHECK(c.tenant_resolution.order ==
          std::vector<ts>{ts::header, ts::token, ts::query, ts::subdomain});
    CHECK(c.tenant_resolution.query_param == "tenant");
    CHECK(c.tenant_resolution.base_domains ==
          std::vector<std::string>{"yourapp.com", "other.example"});
    CHECK(c.tenant_resolution.ignored_subdomains == std::vector<std::string>{"www", "api"});
    CHECK(c.tenant_resolution.header == "X-Tenant");
    CHECK(c.tenant_resolution.token_claim == "org");

    REQUIRE(c.tenants.size() == 1);
    const conf::tenant_config& t = c.tenants[0];
    CHECK(t.code == "TECH_START-1");
    CHECK(t.name == "TechStart Inc");
    CHECK(t.server == "sql.techstart.com");
    CHECK(t.port == 14330);
    CHECK(t.database == "FieldServiceDB");
    CHECK(t.user == "fs");
    CHECK(t.credential_ref == "file:/tmp/tg-conf-test-secret");
    CHECK(t.tls.encrypt == std::optional<bool>(false));
    CHECK(t.tls.trust_server_certificate == std::optional<bool>(true));
    CHECK(t.tls.host_name_in_certificate == std::optional<std::string>("sql.techstart.example"));
    CHECK_FALSE(t.tls.ca_file.has_value());
    CHECK_FALSE(t.active);
    CHECK(t.max_connections == std::optional<std::size_t>(3));

    REQUIRE(c.routes.size() == 3);
    const conf::route_config& sql = c.routes[0];
    CHECK(sql.methods == std::vector<std::string>{"GET", "POST"});
    CHECK(sql.path == "/api/customers/{id}/tickets");
    CHECK(sql.kind == conf::route_kind::sql);
    CHECK(sql.auth_required);
    CHECK_THAT(sql.sql, Catch::StartsWith("SELECT * FROM Tickets"));
    CHECK(sql.result == conf::result_mode::one);
    CHECK(sql.max_rows == 5);
    CHECK(sql.query_timeout == std::optional<conf::duration>(2s));
    REQUIRE(sql.params.size() == 7);
    CHECK(sql.params[0].name == "id");
    CHECK(sql.params[0].type == conf::param_type::int32);
    CHECK(sql.params[0].source == conf::param_source::path);
    CHECK(sql.params[0].required);
    CHECK(sql.params[0].min == std::optional<double>(1));
    CHECK(sql.params[0].max == std::optional<double>(1e6));
    CHECK(sql.params[1].type == conf::param_type::string);
    CHECK(sql.params[1].source == conf::param_source::query);
    CHECK(sql.params[1].key == "s");
    CHECK_FALSE(sql.params[1].required);
    CHECK(sql.params[1].default_value == std::optional<std::string>("open"));
    CHECK(sql.params[1].max_length == std::optional<std::size_t>(20));
    CHECK(sql.params[1].pattern == std::optional<std::string>("^[a-z]+$"));
    CHECK(sql.params[2].type == conf::param_type::int64);
    CHECK(sql.params[2].source == conf::param_source::body);
    CHECK(sql.params[3].type == conf::param_type::number);
    CHECK(sql.params[3].source == conf::param_source::claim);
    CHECK(sql.params[3].min == std::optional<double>(-1.5));
    CHECK(sql.params[4].type == conf::param_type::boolean);
    CHECK(sql.params[5].type == conf::param_type::datetime);
    CHECK(sql.params[6].type == conf::param_type::binary);
    CHECK(c.routes[1].methods == std::vector<std::string>{"POST"});
    CHECK(c.routes[1].kind == conf::route_kind::login);
    CHECK(c.routes[1].result == conf::result_mode::exec);
    const conf::route_config& proxy = c.routes[2];
    CHECK(proxy.kind == conf::route_kind::proxy);
    CHECK(proxy.upstream == "webapp");
    CHECK(proxy.strip_prefix == "/web");
    CHECK_FALSE(proxy.tenant_required);
    CHECK_FALSE(proxy.auth_required);

    REQUIRE(c.upstreams.size() == 1);
    const conf::upstream_config& u = c.upstreams[0];
    CHECK(u.name == "webapp");
    CHECK(u.servers ==
          std::vector<std::string>{"http://127.0.0.1:5173", "http://web-2.internal:8080/base"});
    CHECK(u.balance == conf::balance_policy::least_in_flight);
    CHECK(u.max_connections_per_server == 8);
    CHECK(u.max_idle_per_server == 2);
    CHECK(u.connect_timeout == 1s);
    CHECK(u.read_timeout == 5s);
    CHECK(u.total_timeout == 9s);
    CHECK_FALSE(u.preserve_host);
    CHECK(u.passive_failures == 5);
    REQUIRE(u.health_check.has_value());
    CHECK(u.health_check->path == "/healthz");
    CHECK(u.health_check->interval == 3s);
    CHECK(u.health_check->timeout == 500ms);
    CHECK(u.health_check->healthy_threshold == 1);
    CHECK(u.health_check->unhealthy_threshold == 4);

    CHECK(c.pools.min_size == 1);
    CHECK(c.pools.max_size == 4);
    CHECK(c.pools.max_waiters == 7);
    CHECK(c.pools.max_opening == 3);
    CHECK(c.pools.acquire_timeout == 1s);
    CHECK(c.pools.login_timeout == 2s);
    CHECK(c.pools.query_timeout == 3s);
    CHECK(c.pools.idle_timeout == 4min);
    CHECK(c.pools.max_lifetime == 1h);
    CHECK(c.pools.validate_after == 10s);
    CHECK(c.pools.unused_pool_timeout == 20min);
    CHECK(c.pools.max_total_connections == 99);
    CHECK(c.pools.max_connections_per_host == 9);
    CHECK(c.pools.worker_threads == 6);
    CHECK(c.pools.breaker.failure_threshold == 2);
    CHECK(c.pools.breaker.base_backoff == 500ms);
    CHECK(c.pools.breaker.max_backoff == 5s);

    CHECK(c.registry.source == conf::registry_source::tds);
    CHECK(c.registry.server == "registry.internal");
    CHECK(c.registry.port == 1444);
    CHECK(c.registry.database == "Tenants");
    CHECK(c.registry.user == "reader");
    CHECK(c.registry.credential_ref == "env:REGISTRY_PW");
    CHECK(c.registry.refresh_interval == 15s);
    CHECK(c.registry.negative_cache_ttl == 5s);
    CHECK(c.registry.negative_cache_max == 12);
    CHECK(c.registry.max_lookups_per_second == 3);
    CHECK(c.registry.lookup_burst == 4);
    CHECK(c.registry.retry_base == 250ms);
    CHECK(c.registry.retry_max == 10s);
    CHECK(c.registry.snapshot_file == "/var/lib/tg/registry.json");
    CHECK(c.registry.default_user == "api");
    CHECK(c.registry.default_credential_ref == "env:API_PW");
    CHECK(c.registry.hosting.own_server_patterns == std::vector<std::string>{"*ours*"});
    CHECK(c.registry.hosting.azure_patterns.empty());
    CHECK(c.registry.hosting.aws_patterns == std::vector<std::string>{"*.aws"});

    CHECK(c.admin.enabled);
    CHECK(c.admin.access == conf::access_policy::token);
    CHECK(c.admin.token == "abc");
    CHECK(c.health.access == conf::access_policy::loopback);
    CHECK(c.health.token == "t");
    CHECK(c.health.probe_interval == 1min);
    CHECK(c.health.probe_timeout == 1s);
    CHECK_FALSE(c.metrics.enabled);
    CHECK(c.metrics.access == conf::access_policy::token);
    CHECK(c.metrics.token == "m");
    CHECK(c.metrics.max_tenant_labels == 10);
    CHECK(c.auth.secret_ref == "env:AUTH_KEY");
    CHECK(c.auth.issuer == "me");
    CHECK(c.auth.token_ttl == 2h);
}

TEST_CASE("conf/gateway.example.yaml loads and describes the seed's tenants", "[conf][loader]") {
    // ctest sets TG_SOURCE_DIR; run by hand, fall back to this file's own checkout.
    const char* source_dir = std::getenv("TG_SOURCE_DIR");
    const std::string this_file = __FILE__;
    const std::string root = source_dir != nullptr
                                 ? std::string(source_dir)
                                 : this_file.substr(0, this_file.rfind("/tests/unit/"));
    const std::string path = root + "/conf/gateway.example.yaml";
    conf_test::set_secret_env({"FIELDSERVICE_DB_PASSWORD", "DCPSP_DB_PASSWORD", "DEMO_DB_PASSWORD",
                               "ACME_DB_PASSWORD", "TECHSTART_DB_PASSWORD", "GLOBALSEC_DB_PASSWORD",
                               "TG_AUTH_SECRET"});
    const conf::config c = conf::load_file(path);
    CHECK(c.source_path == path);
    CHECK(c.listen.address == "127.0.0.1");
    CHECK(c.listen.port == 8080);
    CHECK(c.tenant_resolution.base_domains == std::vector<std::string>{"yourapp.com"});
    REQUIRE(c.tenants.size() == 5);
    const std::vector<std::vector<std::string>> expected = {
        {"DCPSP", "DCPSP Production", "customer-portal-sql-server.database.windows.net",
         "FieldServiceDB"},
        {"DEMO", "Demo Company", "customer-portal-sql-server.database.windows.net",
         "FieldServiceDB_Demo"},
        {"ACME", "ACME Corporation", "acme-sql.database.windows.net", "FieldServiceDB_ACME"},
        {"TECHSTART", "TechStart Inc", "sql.techstart.com", "FieldServiceDB"},
        {"GLOBALSEC", "GlobalSec LLC", "globalsec-db.aws.rds.amazonaws.com", "FieldServiceDB"},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(c.tenants[i].code == expected[i][0]);
        CHECK(c.tenants[i].name == expected[i][1]);
        CHECK(c.tenants[i].server == expected[i][2]);
        CHECK(c.tenants[i].database == expected[i][3]);
        CHECK_THAT(c.tenants[i].credential_ref, Catch::StartsWith("env:"));
    }
    std::vector<std::string> routes;
    for (const conf::route_config& r : c.routes) {
        routes.push_back(r.methods.front() + " " + r.path);
    }
    CHECK(routes == std::vector<std::string>{"GET /api/customers", "GET /api/customers/{id}",
                                             "GET /api/whoami", "GET /app/*"});
    CHECK_FALSE(c.routes.back().tenant_required);
}

TEST_CASE("load_file reports a file that cannot be opened", "[conf][loader]") {
    const std::string path = "/nonexistent-dir/gateway.yaml";
    try {
        conf::load_file(path);
        FAIL("load_file succeeded on a missing file");
    } catch (const conf::config_error& e) {
        CHECK_THAT(e.what(), Catch::StartsWith(path + ": cannot open"));
    }
}

TEST_CASE("load_file names the file in errors", "[conf][loader]") {
    char name[] = "/tmp/tg_conf_test_XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    {
        std::ofstream out(name);
        out << "listen:\n  port: 8080\n  bogus: 1\n";
    }
    std::string error;
    try {
        conf::load_file(name);
    } catch (const conf::config_error& e) {
        error = e.what();
    }
    std::remove(name);
    CHECK(error == std::string(name) + ":3:3: unknown key 'bogus' in listen");
}

TEST_CASE("YAML syntax errors are located", "[conf][loader]") {
    CHECK_THAT(load_error("listen: [\n"), Catch::StartsWith("t.yaml:2:1: YAML syntax error"));
    CHECK_THAT(load_error("listen:\n  port: 1\n bad indent: 2\n"), Catch::StartsWith("t.yaml:3:"));
    CHECK_THAT(load_error("a: \"unterminated\n"), Catch::StartsWith("t.yaml:"));
    CHECK_THAT(load_error("listen: {port: 1\n"), Catch::StartsWith("t.yaml:"));
}

TEST_CASE("a file holds exactly one YAML document", "[conf][loader]") {
    CHECK(load_error("listen: {port: 1}\n---\nlisten: {port: 2}\n") ==
          "t.yaml:3:1: only one YAML document is allowed (found a second '---')");
    CHECK(load("---\nlisten: {port: 3}\n...\n").listen.port == 3);
}

TEST_CASE("a stray top-level token is a syntax error, not a hang", "[conf][loader]") {
    // Found by tests/fuzz/config: yaml-cpp 0.7's LoadAll loops forever on these.
    CHECK(load_error(",") == "t.yaml:1:1: YAML syntax error: unexpected character");
    CHECK(load_error("!a,") == "t.yaml:1:3: YAML syntax error: unexpected character");
    CHECK_THAT(load_error("listen:\n  port: 1\n,\n"), Catch::StartsWith("t.yaml:"));
}

TEST_CASE("unknown keys are errors at the key", "[conf][loader]") {
    CHECK(load_error("lisen:\n  port: 1\n") ==
          "t.yaml:1:1: unknown key 'lisen' in the configuration");
    CHECK(load_error("pools:\n  breaker:\n    threshold: 1\n") ==
          "t.yaml:3:5: unknown key 'threshold' in pools.breaker");
    CHECK(load_error(R"(
tenants:
  - code: A
    server: s
    database: d
    password: hunter2
)") == "t.yaml:5:5: unknown key 'password' in tenant");
    CHECK(load_error(R"(
routes:
  - path: /a
    params:
      - {name: a, typ: int}
)") == "t.yaml:4:19: unknown key 'typ' in route parameter");
    CHECK(load_error(R"(
upstreams:
  - name: web
    servers: [http://h:1]
    health_check: {path: /, every: 5s}
)") == "t.yaml:4:29: unknown key 'every' in health_check");
    CHECK(load_error("registry:\n  hosting:\n    gcp_patterns: []\n") ==
          "t.yaml:3:5: unknown key 'gcp_patterns' in registry.hosting");
}

TEST_CASE("duplicate keys are errors at the second key", "[conf][loader]") {
    CHECK(load_error("listen:\n  port: 1\n  port: 2\n") ==
          "t.yaml:3:3: duplicate key 'port' in listen");
    CHECK(load_error("listen: {}\nlisten: {}\n") ==
          "t.yaml:2:1: duplicate key 'listen' in the configuration");
}

TEST_CASE("wrong types are errors at the value", "[conf][loader]") {
    struct type_case {
        const char* yaml;
        const char* expected;
    };
    const type_case cases[] = {
        {"listen:\n  port: eighty\n", "t.yaml:2:9: expected an integer in 0..65535"},
        {"listen:\n  port: -1\n", "t.yaml:2:9: expected an integer in 0..65535"},
        {"listen:\n  port: 80.5\n", "t.yaml:2:9: expected an integer in 0..65535"},
        {"listen:\n  address: [a, b]\n",
         "t.yaml:2:12: expected a single value, not a list or mapping"},
        {"listen: 8080\n", "t.yaml:1:9: expected a mapping for listen"},
        {"listen:\n  port:\n", "t.yaml:2:3: missing value for 'port'"},
        {"admin:\n  enabled: yes\n", "t.yaml:2:12: expected true or false"},
        {"admin:\n  enabled: 1\n", "t.yaml:2:12: expected true or false"},
        {"admin:\n  access: everyone\n", "t.yaml:2:11: expected one of: open, loopback, token"},
        {"pools:\n  idle_timeout: 5\n",
         "t.yaml:2:17: expected a duration such as 250ms, 5s, 2m, 1h or 0"},
        {"pools:\n  breaker: []\n", "t.yaml:2:12: expected a mapping for pools.breaker"},
        {"tenants:\n  code: A\n", "t.yaml:2:3: expected a list"},
        {"tenants:\n  - ACME\n", "t.yaml:2:5: expected a mapping for a tenant"},
        {"tenant_resolution:\n  order: query\n", "t.yaml:2:10: expected a list"},
        {"tenant_resolution:\n  order: [query, cookie]\n",
         "t.yaml:2:18: expected one of: query, subdomain, header, token"},
        {"registry:\n  source: sqlite\n", "t.yaml:2:11: expected one of: yaml, tds"},
        {"routes:\n  - {path: /a, kind: rest}\n",
         "t.yaml:2:22: expected one of: echo, sql, login, proxy"},
        {"routes:\n  - {path: /a, auth: maybe, kind: echo}\n", "t.yaml:2:22: expected one of: required, none"},
        {"routes:\n  - {path: /a, result: all, kind: echo}\n", "t.yaml:2:24: expected one of: many, one, exec"},
        {"routes:\n  - {path: /a, params: [{name: a, type: text}], kind: echo}\n",
         "t.yaml:2:41: expected one of: int, bigint, number, bool, string, datetime, binary, "
         "decimal, date, time, datetimeoffset, uuid"},
        {"routes:\n  - {path: /a, params: [{name: a, from: cookie}], kind: echo}\n",
         "t.yaml:2:41: expected one of: path, query, body, claim"},
        {"routes:\n  - {path: /a, params: [{name: a, min: low}], kind: echo}\n",
         "t.yaml:2:40: expected a number"},
        {"routes:\n  - {path: /a, params: [{name: a, pattern: '(['}], kind: echo}\n",
         "t.yaml:2:44: invalid regular expression (RE2 syntax, no backreferences or lookaround): "
         "missing ]: ["},
        {"routes:\n  - {path: /a, params: [{name: a, pattern: '(a)\\1'}], kind: echo}\n",
         "t.yaml:2:44: invalid regular expression (RE2 syntax, no backreferences or lookaround): "
         "invalid escape sequence: \\1"},
        {"routes:\n  - {path: /a, params: [{name: a, pattern: '(?=a)a'}], kind: echo}\n",
         "t.yaml:2:44: invalid regular expression (RE2 syntax, no backreferences or lookaround): "
         "invalid perl operator: (?="},
        {"routes:\n  - {path: /a, params: [{name: a, pattern: '\\pL{1000}'}]}\n",
         "t.yaml:2:44: invalid regular expression (RE2 syntax, no backreferences or lookaround): "
         "pattern too large - compile failed"},
        {"upstreams:\n  - {name: w, servers: [http://h:1], balance: random}\n",
         "t.yaml:2:47: expected one of: round_robin, least_in_flight"},
        {"- listen\n", "t.yaml:1:1: the configuration must be a mapping of sections"},
        {"just text\n", "t.yaml:1:1: the configuration must be a mapping of sections"},
    };
    for (const type_case& c : cases) {
        INFO("yaml: " << c.yaml);
        CHECK(load_error(c.yaml) == c.expected);
    }
}

TEST_CASE("secret references are refs, never plain secrets", "[conf][loader]") {
    CHECK(load_error(R"(
tenants:
  - code: A
    server: s
    database: d
    credential_ref: P@ssw0rd
)") == "t.yaml:5:21: a secret reference must look like env:NAME or file:/path");
    CHECK(load_error("auth:\n  secret_ref: topsecret\n") ==
          "t.yaml:2:15: a secret reference must look like env:NAME or file:/path");
    CHECK(load_error("registry:\n  default_credential_ref: 'env:'\n") ==
          "t.yaml:2:27: a secret reference must look like env:NAME or file:/path");
}

TEST_CASE("a secret reference that cannot be resolved is an error at its place", "[conf][loader]") {
    ::unsetenv("TG_CONF_TEST_UNSET");
    CHECK(load_error("auth:\n  secret_ref: env:TG_CONF_TEST_UNSET\n") ==
          "t.yaml:2:15: environment variable TG_CONF_TEST_UNSET is not set or empty");
    ::setenv("TG_CONF_TEST_EMPTY", "", 1);
    CHECK(load_error("registry:\n  default_credential_ref: env:TG_CONF_TEST_EMPTY\n") ==
          "t.yaml:2:27: environment variable TG_CONF_TEST_EMPTY is not set or empty");
    CHECK(load_error(R"(
tenants:
  - code: A
    server: s
    database: d
    credential_ref: file:/nonexistent/tg-secret
)") == "t.yaml:5:21: secret file /nonexistent/tg-secret cannot be read");
    ::setenv("TG_CONF_TEST_SET", "x", 1);
    CHECK(load_error("auth:\n  secret_ref: env:TG_CONF_TEST_SET\n").empty());
    CHECK(load_error("auth:\n  secret_ref: file:" + conf_test::secret_file() + "\n").empty());
}

TEST_CASE("TLS keys: pools defaults, a tenant's and the registry's own, checked at load",
          "[conf][loader]") {
    CHECK(load_error("tenants:\n  - {code: A, server: s, database: d, ca_file: /nonexistent/ca.pem}\n") ==
          "t.yaml:2:48: ca_file '/nonexistent/ca.pem' cannot be read");
    CHECK(load_error("tenants:\n  - {code: A, server: s, database: d, host_name_in_certificate: 'a b'}\n") ==
          "t.yaml:2:65: host_name_in_certificate must be a DNS name such as sql.example.com");
    CHECK(load_error("pools: {host_name_in_certificate: a.example}\n").find("unknown key") != std::string::npos);
    CHECK(load_error("pools: {encrypt: maybe}\n").find(":1:18:") != std::string::npos);
    CHECK(load_error("registry: {encrypt: false, trust_server_certificate: true}\n").empty());
}
