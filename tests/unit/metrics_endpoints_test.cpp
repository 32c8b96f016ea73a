// The monitoring endpoints without sockets: readiness, access policies, methods, the
// metrics content type and what a request adds to the counters.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "gateway/admin/health_endpoints.hpp"
#include "gateway/admin/operator_endpoints.hpp"
#include "gateway/app/state_loader.hpp"
#include "gateway/auth/operator_access.hpp"
#include "gateway/telemetry/request_count.hpp"

namespace {

namespace http = gateway::http;
namespace asio = gateway::asio;

gateway::request get(std::string target, std::string authorization = {}) {
    gateway::request req{http::verb::get, target, 11};
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    return req;
}

std::shared_ptr<const gateway::runtime_state> state_with(conf::config config) {
    return gateway::make_runtime_state(std::move(config));
}

/// The endpoint's answer, for a request the dispatcher sent to a monitoring endpoint.
gateway::response answer(const gateway::request& req, const asio::ip::address& remote,
                         const gateway::runtime_state& state, gateway::health_monitor& monitor,
                         std::string_view request_id) {
    const auto target = std::get<router::parsed_target>(router::parse_target(req.target()));
    return gateway::monitoring_response(target, req, remote, state, monitor, request_id);
}

const auto loopback = asio::ip::make_address("127.0.0.1");
const auto remote = asio::ip::make_address("192.0.2.7");

std::string error_code(const gateway::response& res) {
    return std::string(boost::json::parse(res.body()).at("error").at("code").as_string());
}

}  // namespace

TEST_CASE("readyz is 503 until the listener is up and the registry loaded", "[metrics]") {
    gateway::health_monitor monitor;
    const auto state = state_with({});
    auto res = answer(get("/readyz"), loopback, *state, monitor, "r1");
    CHECK(res.result_int() == 503);
    CHECK(error_code(res) == "not_ready");
    CHECK(res.body().find("listener") != std::string::npos);
    CHECK(res.body().find("registry") != std::string::npos);
    monitor.listening = true;
    res = answer(get("/readyz"), loopback, *state, monitor, "r2");
    CHECK(res.result_int() == 503);  // still no registry
    CHECK(res.body().find("listener") == std::string::npos);
}

TEST_CASE("the monitoring endpoints are found by path; others go to the route table", "[metrics]") {
    gateway::health_monitor monitor;
    gateway::endpoint_table table;
    gateway::add_monitoring_endpoints(table, monitor);
    conf::config config;
    CHECK(table.find("/api/x", config) == nullptr);
    for (const char* path : {"/livez", "/readyz", "/health", "/metrics", "/dashboard"}) {
        CHECK(table.find(path, config) != nullptr);
    }
}

TEST_CASE("monitoring endpoints answer GET and HEAD only", "[metrics]") {
    gateway::health_monitor monitor;
    gateway::endpoint_table table;
    gateway::add_monitoring_endpoints(table, monitor);
    const auto* health = table.find("/health", conf::config{});
    REQUIRE(health != nullptr);
    CHECK(gateway::answers_method(*health, http::verb::get));
    CHECK(gateway::answers_method(*health, http::verb::head));
    CHECK_FALSE(gateway::answers_method(*health, http::verb::post));
    const auto res = gateway::method_not_allowed(*health, "r");
    CHECK(res.result_int() == 405);
    CHECK(res[http::field::allow] == "GET, HEAD");
}

TEST_CASE("health access: loopback and bearer token", "[metrics]") {
    gateway::health_monitor monitor;
    conf::config config;
    config.health.access = conf::access_policy::loopback;
    auto state = state_with(config);
    auto res = answer(get("/health"), remote, *state, monitor, "r");
    CHECK(res.result_int() == 403);
    CHECK(error_code(res) == "forbidden");
    res = answer(get("/health"), loopback, *state, monitor, "r");
    CHECK(res.result_int() == 200);
    res = answer(get("/health"), asio::ip::make_address("::ffff:127.0.0.1"),
                                       *state, monitor, "r");
    CHECK(res.result_int() == 200);

    config.health.access = conf::access_policy::token;
    config.health.token = "s3cret-token";
    state = state_with(config);
    res = answer(get("/health"), loopback, *state, monitor, "r");
    CHECK(res.result_int() == 401);
    CHECK(error_code(res) == "unauthorized");
    res = answer(get("/health", "Bearer s3cret-tokeN"), loopback, *state,
                                       monitor, "r");
    CHECK(res.result_int() == 401);
    res = answer(get("/health", "bearer s3cret-token"), remote, *state,
                                       monitor, "r");
    CHECK(res.result_int() == 200);
}

TEST_CASE("an empty configured token admits nobody", "[metrics]") {
    gateway::request req = get("/metrics", "Bearer ");
    auto refused = gateway::check_access(conf::access_policy::token, "", req, loopback, "r");
    REQUIRE(refused);
    CHECK(refused->result_int() == 401);
}

TEST_CASE("metrics: content type, counters, disabled", "[metrics]") {
    gateway::health_monitor monitor;
    conf::config config;
    auto state = state_with(config);
    gateway::access_entry entry;
    entry.tenant = "ACME";
    entry.route = "/api/customers/{id}";
    entry.method = "GET";
    entry.path = "/api/customers/7";
    entry.status = 200;
    entry.started = std::chrono::steady_clock::now();
    gateway::count_request(monitor.metrics, entry);
    gateway::count_request(monitor.metrics, entry);
    auto res = answer(get("/metrics"), loopback, *state, monitor, "r");
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(res.body().find("tenant_gateway_http_requests_total{tenant=\"ACME\",route=\"/api/"
                           "customers/{id}\",method=\"GET\",status_class=\"2xx\"} 2\n") !=
          std::string::npos);
    CHECK(res.body().find("# TYPE tenant_gateway_http_request_duration_seconds histogram") !=
          std::string::npos);

    config.metrics.enabled = false;
    state = state_with(config);
    res = answer(get("/metrics"), loopback, *state, monitor, "r");
    CHECK(res.result_int() == 404);
}

TEST_CASE("endpoints count under their path, unmatched requests under one label", "[metrics]") {
    gateway::health_monitor monitor;
    gateway::access_entry entry;
    entry.method = "GET";
    entry.path = "/livez";
    entry.route = "/livez";  // the dispatcher's label for an endpoint (gateway_dispatch_test)
    entry.status = 200;
    entry.started = std::chrono::steady_clock::now();
    gateway::count_request(monitor.metrics, entry);
    entry.path = "/random/unmatched/path";
    entry.route.reset();
    entry.status = 404;
    gateway::count_request(monitor.metrics, entry);
    const auto totals = monitor.metrics.totals();
    CHECK(totals.requests.count({"_none", "/livez", "GET", "2xx"}) == 1);
    CHECK(totals.requests.count({"_none", "_unmatched", "GET", "4xx"}) == 1);
}

TEST_CASE("the dashboard is a self-contained page", "[metrics]") {
    gateway::health_monitor monitor;
    const auto state = state_with({});
    auto res = answer(get("/dashboard"), loopback, *state, monitor, "r");
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "text/html; charset=utf-8");
    CHECK(res.body().find("getJson(\"/health\")") != std::string::npos);
    CHECK(res.body().find("getJson(\"/dashboard/series.json\")") != std::string::npos);
    // The page draws its charts as inline SVG, whose namespace name looks like a URL but
    // is never fetched; nothing else may name another origin.
    std::string body = res.body();
    const std::string svg_namespace = "\"http://www.w3.org/2000/svg\"";
    for (auto at = body.find(svg_namespace); at != std::string::npos; at = body.find(svg_namespace)) {
        body.erase(at, svg_namespace.size());
    }
    CHECK(body.find("http://") == std::string::npos);
    CHECK(body.find("https://") == std::string::npos);
    CHECK(body.find("<script src") == std::string::npos);
    // The inline script runs under the page's policy, which allows only this gateway.
    const std::string csp(res["Content-Security-Policy"]);
    CHECK(csp.find("script-src 'unsafe-inline'") != std::string::npos);
    CHECK(csp.find("connect-src 'self'") != std::string::npos);
}

TEST_CASE("the dashboard's chart data: tenants' last 15 minutes, under the health policy", "[metrics]") {
    gateway::health_monitor monitor;
    monitor.metrics.history().record_request("ACME", 200, std::chrono::milliseconds(3),
                                             std::chrono::steady_clock::now());
    conf::config config;
    config.health.access = conf::access_policy::loopback;
    const auto state = state_with(config);
    auto res = answer(get("/dashboard/series.json"), remote, *state, monitor, "r");
    CHECK(res.result_int() == 403);
    res = answer(get("/dashboard/series.json"), loopback, *state, monitor, "r");
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::cache_control] == "no-store");
    const auto body = boost::json::parse(res.body()).as_object();
    CHECK(body.at("slotSeconds").as_int64() == 10);
    const auto& tenants = body.at("tenants").as_array();
    REQUIRE(tenants.size() == 1);
    CHECK(tenants.at(0).at("companyCode").as_string() == "ACME");
    CHECK(tenants.at(0).at("requests").to_number<std::int64_t>() == 1);
    res = answer(get("/dashboard/series.json?tenant=nobody"), loopback, *state, monitor, "r");
    CHECK(boost::json::parse(res.body()).at("tenants").as_array().empty());
    res = answer(get("/dashboard/series.json?tenant=bad%20code"), loopback, *state, monitor, "r");
    CHECK(res.result_int() == 400);
    CHECK(error_code(res) == "invalid_company_code");
}
