// A SELECT's top-level CAST / CONVERT keeps its target type in tdsd, as in SQL Server:
// the rewriter reports the type per result column, and the executor sends the column
// with that type and the value converted to it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "tests/tdsd/column_type.hpp"
#include "tests/tdsd/executor.hpp"
#include "tests/tdsd/sqlite_connection.hpp"
#include "tests/tdsd/tsql_rewrite.hpp"
#include "tests/unit/tdsd_sqlite_runner.hpp"

using tdsd_test::rows;

namespace {

using types = std::vector<std::optional<std::string>>;

types cast_types(std::string_view tsql) {
  const auto result = tdsd::rewrite_tsql(tsql);
  INFO(tsql);
  REQUIRE_FALSE(result.error.has_value());
  REQUIRE(result.statements.size() == 1);
  return result.statements[0].cast_types;
}

std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

// The bytes ROW carries for `text` in a column declared `declared`.
std::vector<std::uint8_t> value_bytes(const std::string& declared, const std::string& text) {
  tdsd::byte_writer w;
  tdsd::write_value(w, *tdsd::type_from_declaration(declared), tdsd::make_text(text), tdsd::unlimited_text_size);
  return w.data();
}

bool contains(const std::vector<std::uint8_t>& haystack, const std::vector<std::uint8_t>& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

// A scratch database for the executor.
struct session {
  std::string path;
  tdsd::cancel_token cancel;
  tdsd::connection_identity identity{62, &cancel};
  std::optional<tdsd::sqlite_connection> db;

  session() {
    char name[] = "/tmp/tdsd-cast-XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path = name;
    db.emplace(path, &identity);
  }
  ~session() {
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  }

  std::vector<std::uint8_t> run(const std::string& tsql) {
    tdsd::exec_request req;
    req.tsql = tsql;
    auto out = tdsd::execute(db->get(), cancel, req);
    INFO(tsql);
    CHECK_FALSE(out.failed);
    return out.tokens.data();
  }

  // TYPE_INFO of the one column of `SELECT <expr>` (after the COLMETADATA header: token,
  // count, user type, flags), `n` bytes of it.
  std::vector<std::uint8_t> type_info(const std::string& expr, std::size_t n) {
    const auto tokens = run("SELECT " + expr);
    REQUIRE(tokens.size() > 9 + n);
    REQUIRE(tokens[0] == 0x81);
    return {tokens.begin() + 9, tokens.begin() + 9 + static_cast<std::ptrdiff_t>(n)};
  }
};

}  // namespace

TEST_CASE("the rewriter reports the target type of each whole CAST or CONVERT item", "[tdsd][cast]") {
  CHECK(cast_types("SELECT CAST(1.005 AS DECIMAL(5, 2)) AS v, CONVERT(date, '2024-01-02'), x, "
                   "CAST(x AS NVARCHAR) n FROM t") == types{"DECIMAL(5,2)", "DATE", std::nullopt, "NVARCHAR(30)"});
  CHECK(cast_types("SELECT DISTINCT TOP (3) CAST(a AS TIME(3)) FROM t") == types{"TIME(3)"});
  // Columns after a * cannot be counted; expressions around a CAST are not typed by it.
  CHECK(cast_types("SELECT CAST(a AS INT), *, CAST(b AS BIT) FROM t") == types{"INT"});
  CHECK(cast_types("SELECT CAST(a AS INT) + 1, CAST(b AS INT) COLLATE x FROM t").empty());
  CHECK(cast_types("SELECT a FROM t WHERE CAST(a AS DECIMAL(5,2)) > 1").empty());
  CHECK(cast_types("INSERT INTO t SELECT CAST(a AS INT) FROM u").empty());
}

TEST_CASE("whole CAST items keep exact digits and cut text to its length", "[tdsd][cast]") {
  const auto sql = [](std::string_view tsql) { return tdsd::rewrite_tsql(tsql).sql; };
  CHECK(sql("SELECT CAST(p AS DECIMAL(5,2)) AS v FROM t") == "SELECT CAST(p AS TEXT) COLLATE TDS_DECIMAL AS v FROM t");
  CHECK(sql("SELECT CONVERT(NVARCHAR(3), x)") == "SELECT substr(CAST(x AS NVARCHAR(3)), 1, 3)");
  CHECK(sql("SELECT CAST(x AS VARBINARY(2))") == "SELECT substr(CAST(x AS BLOB), 1, 2)");
  CHECK(sql("SELECT CAST(x AS NVARCHAR(MAX))") == "SELECT CAST(x AS NTEXT)");
  // A CAST elsewhere keeps SQLite's meaning, so comparisons stay numeric.
  CHECK(sql("SELECT a FROM t WHERE CAST(a AS DECIMAL(5,2)) > 1") == "SELECT a FROM t WHERE CAST(a AS DECIMAL(5,2)) > 1");

  tdsd_test::sqlite_db db;
  CHECK(db.run_tsql("SELECT CAST('12345678901234567890123456789012.345678' AS DECIMAL(38,6)), "
                    "CAST(N'abcdef' AS NVARCHAR(3)), CAST('abc' AS VARBINARY(2)), "
                    "CAST(REPLICATE_ME AS VARCHAR) FROM (SELECT '" + std::string(40, 'x') + "' AS REPLICATE_ME)") ==
        rows{{"12345678901234567890123456789012.345678", "abc", "ab", std::string(30, 'x')}});
  // ORDER BY the alias compares the digits as numbers (the decimal collation).
  CHECK(db.run_tsql("SELECT CAST(v AS DECIMAL(5,1)) AS d FROM (SELECT '10' AS v UNION ALL SELECT '9') ORDER BY d") ==
        rows{{"9"}, {"10"}});
}

TEST_CASE("a CAST result column goes out with its target type and a converted value", "[tdsd][cast]") {
  session s;
  // DECIMAL(5,2): length 5, precision 5, scale 2; 1.005 rounds half away from zero.
  CHECK(s.type_info("CAST(1.005 AS DECIMAL(5,2)) AS v", 4) == bytes({0x6A, 5, 5, 2}));
  CHECK(contains(s.run("SELECT CAST(1.005 AS DECIMAL(5,2))"), bytes({5, 1, 101, 0, 0, 0})));
  CHECK(contains(s.run("SELECT CAST(-1.005 AS DECIMAL(5,2))"), bytes({5, 0, 101, 0, 0, 0})));
  CHECK(s.type_info("CONVERT(NUMERIC(10,4), '2.5')", 4) == bytes({0x6C, 9, 10, 4}));
  CHECK(contains(s.run("SELECT CONVERT(NUMERIC(10,4), '2.5')"), value_bytes("NUMERIC(10,4)", "2.5")));
  CHECK(contains(s.run("SELECT CAST('12345678901234567890123456789012.345678' AS DECIMAL(38,6))"),
                 value_bytes("DECIMAL(38,6)", "12345678901234567890123456789012.345678")));
  CHECK(s.type_info("CAST(12.34565 AS MONEY)", 2) == bytes({0x6E, 8}));
  CHECK(contains(s.run("SELECT CAST(12.34565 AS MONEY)"), value_bytes("MONEY", "12.3457")));
  CHECK(s.type_info("CAST(7 AS TINYINT)", 2) == bytes({0x26, 1}));
  CHECK(s.type_info("CAST(7 AS SMALLINT)", 2) == bytes({0x26, 2}));
  CHECK(s.type_info("CAST(7 AS BIGINT)", 2) == bytes({0x26, 8}));
  CHECK(s.type_info("CAST(5 AS BIT)", 2) == bytes({0x68, 1}));
  CHECK(s.type_info("CAST(2 AS REAL)", 2) == bytes({0x6D, 4}));
}

TEST_CASE("date, time and GUID targets go out as their own types", "[tdsd][cast]") {
  session s;
  CHECK(s.type_info("CAST('2024-01-02 10:11:12' AS DATE)", 1) == bytes({0x28}));
  CHECK(contains(s.run("SELECT CAST('2024-01-02 10:11:12' AS DATE)"), value_bytes("DATE", "2024-01-02")));
  CHECK(s.type_info("CAST('10:11:12.123456' AS TIME(3))", 2) == bytes({0x29, 3}));
  CHECK(contains(s.run("SELECT CAST('10:11:12.123456' AS TIME(3))"), value_bytes("TIME(3)", "10:11:12.123")));
  CHECK(s.type_info("CONVERT(DATETIME, '2024-01-02')", 2) == bytes({0x6F, 8}));
  CHECK(s.type_info("CAST('2024-01-02' AS DATETIME2(2))", 2) == bytes({0x2A, 2}));
  CHECK(s.type_info("CAST('2024-01-02 10:00 +02:00' AS DATETIMEOFFSET(0))", 2) == bytes({0x2B, 0}));
  CHECK(s.type_info("CAST('6F9619FF-8B86-D011-B42D-00C04FC964FF' AS UNIQUEIDENTIFIER)", 2) == bytes({0x24, 16}));
}

TEST_CASE("character and binary targets carry their length and are cut to it", "[tdsd][cast]") {
  session s;
  CHECK(s.type_info("CAST(N'abcdef' AS NVARCHAR(3))", 3) == bytes({0xE7, 6, 0}));
  CHECK(contains(s.run("SELECT CAST(N'abcdef' AS NVARCHAR(3))"), bytes({6, 0, 'a', 0, 'b', 0, 'c', 0})));
  CHECK(s.type_info("CAST(42 AS VARCHAR)", 3) == bytes({0xA7, 30, 0}));
  CHECK(s.type_info("CAST('ab' AS CHAR(4))", 3) == bytes({0xAF, 4, 0}));
  CHECK(s.type_info("CAST('abc' AS VARBINARY(2))", 3) == bytes({0xA5, 2, 0}));
  CHECK(contains(s.run("SELECT CAST('abc' AS VARBINARY(2))"), bytes({2, 0, 'a', 'b'})));
  // Not a whole CAST: typed from the value as before (FLOAT for a real).
  CHECK(s.type_info("CAST(1.5 AS DECIMAL(5,2)) + 1", 2) == bytes({0x6D, 8}));
}
