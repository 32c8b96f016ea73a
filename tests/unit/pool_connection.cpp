// The FreeTDS wrapper against a real tdsd: host:port without freetds.conf, typed values,
// errors, time-outs and login failure.
#include <catch2/catch.hpp>

#include "tds_pool/freetds/connection.hpp"
#include "tests/unit/pool_support.hpp"

using namespace std::chrono_literals;
using tds_pool::errc;
using tds_pool::param_type;

namespace {

std::unique_ptr<tds_pool::connection> connect(const pool_test::tdsd_process& server) {
    auto opened = tds_pool::connection::open(server.target(), {});
    INFO((opened ? std::string() : opened.error().message));
    REQUIRE(opened);
    return std::move(opened.value());
}

std::int64_t single_int(const tds_pool::outcome<tds_pool::query_result>& r) {
    REQUIRE(r);
    REQUIRE(r.value().sets.size() == 1);
    REQUIRE(r.value().sets[0].rows.size() == 1);
    return std::get<std::int64_t>(r.value().sets[0].rows[0][0]);
}

}  // namespace

TEST_CASE("dbopen reaches host:port and runs a batch", "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto conn = connect(server);
    const auto spid = single_int(conn->execute({"SELECT @@SPID", {}, {}}, 5s));
    CHECK(spid > 0);
    CHECK(single_int(conn->execute({"SELECT @@SPID", {}, {}}, 5s)) == spid);
    auto rows = conn->execute({"SELECT id, name FROM items WHERE id <= 3 ORDER BY id", {}, {}}, 5s);
    REQUIRE(rows);
    const auto& set = rows.value().sets.at(0);
    REQUIRE(set.columns.size() == 2);
    CHECK(set.columns[0].name == "id");
    CHECK(set.columns[0].type == tds_pool::column_type::integer);
    CHECK(set.columns[1].type == tds_pool::column_type::text);
    REQUIRE(set.rows.size() == 3);
    CHECK(std::get<std::string>(set.rows[2][1]) == "item 3");
}

TEST_CASE("sp_executesql carries typed parameters and returns typed values", "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto conn = connect(server);
    tds_pool::query q{"SELECT @i AS i, @b AS b, @f AS f, @s AS s, @n AS n, @x AS x, @t AS t",
                      {{"i", param_type::int32, std::int64_t{-7}},
                       {"b", param_type::int64, std::int64_t{1} << 40},
                       {"f", param_type::float64, 2.5},
                       {"s", param_type::string, std::string("Zoë ✓")},
                       {"n", param_type::int32, std::monostate{}},
                       {"x", param_type::binary, std::vector<std::uint8_t>{0, 1, 254}},
                       {"t", param_type::datetime, tds_pool::sql_datetime{2024, 3, 1, 13, 5, 9, 500000000}}},
                      {}};
    auto r = conn->execute(q, 5s);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
    const auto& row = r.value().sets.at(0).rows.at(0);
    CHECK(std::get<std::int64_t>(row[0]) == -7);
    CHECK(std::get<std::int64_t>(row[1]) == (std::int64_t{1} << 40));
    CHECK(std::get<double>(row[2]) == 2.5);
    CHECK(std::get<std::string>(row[3]) == "Zoë ✓");
    CHECK(std::holds_alternative<std::monostate>(row[4]));
    CHECK(std::get<std::vector<std::uint8_t>>(row[5]) == std::vector<std::uint8_t>{0, 1, 254});
    const auto& t = row[6];
    if (const auto* dt = std::get_if<tds_pool::sql_datetime>(&t)) {
        CHECK(dt->to_iso8601() == "2024-03-01T13:05:09.5000000");
    } else {
        // A SQLite-backed server may hand the value back as text.
        CHECK(std::get<std::string>(t).rfind("2024-03-01", 0) == 0);
    }
}

TEST_CASE("DML reports row counts and errors are typed", "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto conn = connect(server);
    auto updated = conn->execute({"UPDATE items SET name = @n WHERE id <= 4",
                                  {{"n", param_type::string, std::string("x")}}, {}}, 5s);
    INFO((updated ? std::string() : updated.error().message));
    REQUIRE(updated);
    REQUIRE(updated.value().rows_affected.size() == 1);
    CHECK(updated.value().rows_affected[0] == 4);
    auto bad = conn->execute({"SELECT * FROM no_such_table", {}, {}}, 5s);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == errc::sql_error);
    REQUIRE(bad.error().sql);
    CHECK(bad.error().sql->number != 0);
    CHECK(bad.error().sql->severity > 10);
    // The connection is still usable after a statement error.
    CHECK(single_int(conn->execute({"SELECT 5", {}, {}}, 5s)) == 5);
}

TEST_CASE("a query time-out cancels the query and keeps the connection", "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto conn = connect(server);
    const auto spid = single_int(conn->execute({"SELECT @@SPID", {}, {}}, 5s));
    auto slow = conn->execute({"WAITFOR DELAY '00:00:03'", {}, {}}, 1s);
    REQUIRE_FALSE(slow);
    CHECK(slow.error().code == errc::query_timeout);
    CHECK_FALSE(conn->is_dead());
    CHECK(single_int(conn->execute({"SELECT @@SPID", {}, {}}, 5s)) == spid);
    // Usable, but its session is not proven clean: the pool discards it.
    CHECK(conn->unsafe_reason() == tds_pool::close_reason::query_timeout);
    CHECK_FALSE(conn->validate(1s));
}

TEST_CASE("a wrong password is login_failed and the message has no secret", "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto opened = tds_pool::connection::open(server.target("db1", "wrong-secret-123"), {});
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == errc::login_failed);
    CHECK(opened.error().message.find("wrong-secret-123") == std::string::npos);
    REQUIRE(opened.error().sql);
    CHECK(opened.error().sql->number == 18456);
}

TEST_CASE("nothing listening is tenant_db_unavailable", "[tdsd][connection]") {
    tds_pool::connection_target nowhere{"127.0.0.1", 1, "db1", "u", "p", std::nullopt, conf::tls_settings::unencrypted()};
    tds_pool::connect_options options;
    options.login_timeout = 2s;
    auto opened = tds_pool::connection::open(nowhere, options);
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == errc::tenant_db_unavailable);
}

// Every request goes out as sp_executesql: db-lib reports the DONEINPROC count of a
// statement between two result sets as no result of its own, so only the sets are checked.
TEST_CASE("a request returns every result set in order", "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto conn = connect(server);
    auto r = conn->execute({"SELECT 1 AS a; UPDATE items SET name = N'y' WHERE id = 1; "
                            "SELECT id, name FROM items WHERE id IN (1, 2) ORDER BY id",
                            {}, {}},
                           5s);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
    REQUIRE(r.value().sets.size() == 2);
    CHECK(r.value().sets[0].columns.at(0).name == "a");
    CHECK(r.value().sets[1].rows.size() == 2);
    CHECK(std::get<std::string>(r.value().sets[1].rows[0][1]) == "y");
}

TEST_CASE("a query's text size is set on the session first and stays until another is asked",
          "[tdsd][connection]") {
    pool_test::tdsd_process server;
    auto conn = connect(server);
    // 5000 characters: an NVARCHAR(MAX) value, 10000 bytes of UTF-16 on the wire.
    auto length_of_long_value = [&](std::optional<std::int32_t> text_size) {
        tds_pool::query q{"SELECT printf('%.*c', 5000, 'x') AS body", {}, {}};
        q.text_size = text_size;
        auto r = conn->execute(q, 5s);
        INFO((r ? std::string() : r.error().message));
        REQUIRE(r);
        return std::get<std::string>(r.value().sets.at(0).rows.at(0).at(0)).size();
    };
    // db-lib logs in without fODBC: the session starts at SQL Server's default of 4096.
    CHECK(length_of_long_value(std::nullopt) == 2048);
    CHECK(length_of_long_value(8000) == 4000);
    CHECK(single_int(conn->execute({"SELECT @@TEXTSIZE", {}, {}}, 5s)) == 8000);
    CHECK(length_of_long_value(std::nullopt) == 4000);  // the session keeps it
    CHECK(length_of_long_value(10000) == 5000);          // exactly the value's size: whole
    CHECK(length_of_long_value(9999) == 4999);           // whole UTF-16 units only
    CHECK_FALSE(conn->unsafe_reason());
}
