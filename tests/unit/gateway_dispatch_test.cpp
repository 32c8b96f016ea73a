// From request to response without sockets: built-ins, router errors, echo, 501.
#include <catch2/catch.hpp>

#include <future>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "conf/loader.hpp"
#include "gateway/http/dispatcher.hpp"
#include "gateway/http/echo_handler.hpp"
#include "gateway/http/handler_set.hpp"
#include "gateway/admin/operator_endpoints.hpp"
#include "gateway/app/state_loader.hpp"
#include "gateway/http/endpoint_table.hpp"

namespace {

constexpr const char* config_text = R"(
tenant_resolution:
  base_domains: [yourapp.com]
routes:
  - methods: [GET]
    path: /api/customers/{id}
    kind: echo
  - methods: [GET]
    path: /api/report
    kind: sql
    sql: SELECT 1 AS one
)";

gateway::request make_request(gateway::http::verb method, std::string target) {
    gateway::request req{method, target, 11};
    req.set(gateway::http::field::host, "127.0.0.1");
    return req;
}

/// Runs dispatch() to completion on a private io_context.
gateway::dispatch_outcome run(const gateway::request& req) {
    static const auto state = gateway::make_runtime_state(conf::load_string(config_text));
    // Echo only: the other kinds stand for handlers this build does not have.
    static const auto handlers = [] {
        gateway::handler_set set;
        set.set(conf::route_kind::echo, std::make_unique<gateway::echo_handler>());
        return set;
    }();
    static gateway::health_monitor monitor;
    static const auto endpoints = [] {
        gateway::endpoint_table table;
        gateway::add_monitoring_endpoints(table, monitor);
        return table;
    }();
    boost::asio::io_context io;
    std::promise<gateway::dispatch_outcome> result;
    boost::asio::co_spawn(io, gateway::dispatch(req, "rid-1", state, handlers, endpoints, io.get_executor()),
                          [&](std::exception_ptr e, gateway::dispatch_outcome out) {
                              if (e) result.set_exception(e);
                              else result.set_value(std::move(out));
                          });
    io.run();
    return result.get_future().get();
}

boost::json::value body_of(const gateway::response& res) {
    return boost::json::parse(res.body());
}

}  // namespace

TEST_CASE("echo answers with tenant, route, params and query", "[gateway][dispatch]") {
    auto out = run(make_request(gateway::http::verb::get, "/api/customers/42?company=acme"));
    REQUIRE(out.res.result_int() == 200);
    CHECK(out.tenant == "ACME");
    CHECK(out.route == "/api/customers/{id}");
    auto body = body_of(out.res).as_object();
    CHECK(body["tenant"] == "ACME");
    CHECK(body["tenantSource"] == "query");
    CHECK(body["params"].as_object()["id"] == "42");
    CHECK(body["query"].as_object()["company"] == "acme");
    CHECK(out.res[gateway::http::field::content_type] == "application/json");
}

TEST_CASE("router errors become the JSON error shape", "[gateway][dispatch]") {
    auto out = run(make_request(gateway::http::verb::get, "/nope?company=ACME"));
    CHECK(out.res.result_int() == 404);
    const auto error = body_of(out.res).at("error").as_object();
    CHECK(error.size() == 3);
    CHECK(error.at("code") == "route_not_found");
    CHECK(error.at("requestId") == "rid-1");
    CHECK_FALSE(error.at("message").as_string().empty());

    out = run(make_request(gateway::http::verb::delete_, "/api/customers/1?company=ACME"));
    CHECK(out.res.result_int() == 405);
    CHECK(out.res[gateway::http::field::allow] == "GET, HEAD");

    out = run(make_request(gateway::http::verb::get, "/api/customers/1"));
    CHECK(out.res.result_int() == 400);
    CHECK(body_of(out.res).at("error").at("code") == "tenant_required");
}

TEST_CASE("built-in /livez comes before the route table", "[gateway][dispatch]") {
    auto out = run(make_request(gateway::http::verb::get, "/livez"));
    CHECK(out.res.result_int() == 200);
    CHECK(out.res.body() == R"({"status":"ok"})");
    CHECK(out.route == "/livez");  // counted and logged under its own path
    CHECK_FALSE(out.tenant.has_value());
}

TEST_CASE("a route kind without a handler answers 501", "[gateway][dispatch]") {
    auto out = run(make_request(gateway::http::verb::get, "/api/report?company=ACME"));
    CHECK(out.res.result_int() == 501);
    CHECK(body_of(out.res).at("error").at("code") == "not_implemented");
    CHECK(out.route == "/api/report");
}
