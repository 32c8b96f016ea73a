// Database failures map to stable codes and statuses without the server's text.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "gateway/sql/sql_handler_request.hpp"

using tds_pool::errc;

namespace {

struct mapped {
    unsigned status;
    std::string code;
    std::string body;
    std::string retry_after;
};

mapped map(tds_pool::db_error error, const conf::retry_after_config& retry_after = {}) {
    const auto res = gateway::db_error_response(error, "ACME", "req-1", retry_after);
    const auto body = boost::json::parse(res.body());
    return {res.result_int(), std::string(body.at("error").at("code").as_string()), res.body(),
            std::string(res[gateway::http::field::retry_after])};
}

tds_pool::db_error server_error(int number) {
    tds_pool::sql_error_info info;
    info.number = number;
    info.severity = 14;
    info.message = "Violation of UNIQUE KEY constraint 'UQ_Users'. Cannot insert duplicate key in object 'dbo.Users' on server SECRET-HOST";
    return tds_pool::db_error(errc::sql_error, "server error " + std::to_string(number), info);
}

}  // namespace

TEST_CASE("duplicate keys are conflicts, other SQL errors a generic 502", "[db_errors]") {
    for (int number : {2627, 2601}) {
        const auto m = map(server_error(number));
        CHECK(m.status == 409);
        CHECK(m.code == "conflict");
        CHECK(m.body.find("SECRET-HOST") == std::string::npos);
        CHECK(m.body.find("UQ_Users") == std::string::npos);
    }
    const auto other = map(server_error(208));
    CHECK(other.status == 502);
    CHECK(other.code == "sql_error");
    CHECK(other.body.find("SECRET-HOST") == std::string::npos);
}

TEST_CASE("pool failures map to 503, 504 and 502", "[db_errors]") {
    tds_pool::db_error down(errc::tenant_db_unavailable, "cannot connect to 10.0.0.5:1433");
    down.retry_after = std::chrono::milliseconds(2500);
    const auto unavailable = map(down);
    CHECK(unavailable.status == 503);
    CHECK(unavailable.code == "tenant_db_unavailable");
    CHECK(unavailable.retry_after == "3");
    CHECK(unavailable.body.find("10.0.0.5") == std::string::npos);

    CHECK(map(tds_pool::db_error(errc::pool_timeout, "x")).status == 503);
    CHECK(map(tds_pool::db_error(errc::pool_timeout, "x")).retry_after == "1");
    CHECK(map(tds_pool::db_error(errc::pool_overloaded, "x")).code == "pool_overloaded");
    CHECK(map(tds_pool::db_error(errc::pool_closed, "x")).status == 503);
    CHECK(map(tds_pool::db_error(errc::query_timeout, "x")).status == 504);
    CHECK(map(tds_pool::db_error(errc::query_timeout, "x")).code == "query_timeout");
    CHECK(map(tds_pool::db_error(errc::login_failed, "x")).status == 502);
    CHECK(map(tds_pool::db_error(errc::login_failed, "x")).code == "login_failed");
    CHECK(map(tds_pool::db_error(errc::connection_lost, "x")).code == "connection_lost");
}

TEST_CASE("a busy pool's 503 says the configured limits.retry_after.pool_busy", "[db_errors]") {
    conf::retry_after_config retry_after;
    retry_after.pool_busy = std::chrono::seconds(7);
    for (const auto code : {errc::pool_timeout, errc::pool_overloaded, errc::pool_closed}) {
        CHECK(map(tds_pool::db_error(code, "x"), retry_after).retry_after == "7");
    }
    // an open circuit says its own back-off, whatever is configured
    tds_pool::db_error down(errc::tenant_db_unavailable, "x");
    down.retry_after = std::chrono::milliseconds(1200);
    CHECK(map(down, retry_after).retry_after == "2");
}

TEST_CASE("validation errors list every field", "[db_errors]") {
    const auto res = gateway::validation_response({{"id", "expected an integer"}, {"title", "is required"}}, "r");
    CHECK(res.result_int() == 400);
    const auto body = boost::json::parse(res.body());
    CHECK(body.at("error").at("code").as_string() == "validation_failed");
    const auto& details = body.at("error").at("details").as_array();
    REQUIRE(details.size() == 2);
    CHECK(details[0].at("field").as_string() == "id");
    CHECK(details[1].at("problem").as_string() == "is required");
}
