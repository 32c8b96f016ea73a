// tdsd's pure parts: dates, result types, RPC parameter decoding, LOGIN7, framing,
// config errors, SQLite error mapping, and the executor's token stream on a real SQLite.
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/tdsd/column_type.hpp"
#include "tests/tdsd/config.hpp"
#include "tests/tdsd/datetime.hpp"
#include "tests/tdsd/executor.hpp"
#include "tests/tdsd/login7.hpp"
#include "tests/tdsd/packet.hpp"
#include "tests/tdsd/param_reader.hpp"
#include "tests/tdsd/prelogin.hpp"
#include "tests/tdsd/sql_errors.hpp"
#include "tests/tdsd/sqlite_connection.hpp"
#include "tests/tdsd/utf16.hpp"

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

tdsd::sql_value read_param(const std::vector<std::uint8_t>& data) {
  tdsd::byte_reader r(data);
  auto v = tdsd::read_param_value(r);
  CHECK(r.remaining() == 0);
  return v;
}

void remove_database(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

std::string temp_file(const std::string& text) {
  char name[] = "/tmp/tdsd-unit-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << text;
  return name;
}

/// A connection (spid 60) to a fresh database file, removed after the connection closes.
struct executor_database {
  struct removed_file {
    std::string path;
    ~removed_file() { remove_database(path); }
  } file{temp_file("")};  // first, so it goes last
  tdsd::cancel_token cancel;
  tdsd::connection_identity identity{60, &cancel};
  tdsd::sqlite_connection db{file.path, &identity};

  /// The reply tokens of a batch run as this connection's session.
  std::vector<std::uint8_t> tokens(const std::string& tsql, tdsd::statement_cache* cache = nullptr) {
    tdsd::exec_request req;
    req.tsql = tsql;
    req.session = &identity;
    req.cache = cache;
    return tdsd::execute(db.get(), cancel, req).tokens.data();
  }
};

}  // namespace

TEST_CASE("dates parse from SQLite text and format back", "[tdsd][datetime]") {
  const auto dt = tdsd::parse_datetime_text("2024-03-03 03:03:03.1234567");
  REQUIRE(dt);
  CHECK(dt->ticks == ((3 * 60 + 3) * 60 + 3) * 10000000ULL + 1234567);
  CHECK(tdsd::format_datetime_text(*dt) == "2024-03-03 03:03:03.1234567");
  CHECK(tdsd::parse_datetime_text("0001-01-01")->days == 0);
  CHECK(tdsd::parse_datetime_text("1900-01-01")->days == tdsd::days_0001_to_1900);
  CHECK(tdsd::parse_datetime_text("2024-01-15T08:30")->ticks == (8 * 60 + 30) * 60 * 10000000ULL);
  CHECK(tdsd::format_datetime_text(*tdsd::parse_datetime_text("2020-02-29")) == "2020-02-29 00:00:00");
  CHECK_FALSE(tdsd::parse_datetime_text("yesterday"));
  CHECK_FALSE(tdsd::parse_datetime_text("2024-13-01"));
  CHECK_FALSE(tdsd::parse_datetime_text("2024-01-01 25:00"));
}

TEST_CASE("declared column types map to TDS types", "[tdsd][types]") {
  using tdsd::wire_type;
  CHECK(tdsd::type_from_declaration("INT")->length == 4);
  CHECK(tdsd::type_from_declaration("bigint")->length == 8);
  CHECK(tdsd::type_from_declaration("BIT")->type == wire_type::bitn);
  CHECK(tdsd::type_from_declaration("DECIMAL(10,2)")->type == wire_type::decimaln);
  CHECK(tdsd::type_from_declaration("DECIMAL_TEXT(10,2)")->scale == 2);  // after the DDL rewrite
  CHECK(tdsd::type_from_declaration("NUMERIC(38,0)")->length == 17);
  CHECK(tdsd::type_from_declaration("MONEY")->type == wire_type::moneyn);
  CHECK(tdsd::type_from_declaration("TINYINT")->length == 1);
  CHECK(tdsd::type_from_declaration("SMALLINT")->length == 2);
  CHECK(tdsd::type_from_declaration("REAL")->length == 4);
  CHECK(tdsd::type_from_declaration("DATETIMEOFFSET(3)")->scale == 3);
  CHECK(tdsd::type_from_declaration("UNIQUEIDENTIFIER")->type == wire_type::guid);
  CHECK(tdsd::type_from_declaration("VARCHAR(40)")->type == wire_type::varchar);
  CHECK(tdsd::type_from_declaration("VARCHAR(40)")->length == 40);
  CHECK(tdsd::type_from_declaration("CHAR(4)")->type == wire_type::char_);
  CHECK(tdsd::type_from_declaration("NVARCHAR(100)")->length == 200);
  CHECK(tdsd::type_from_declaration("NVARCHAR(MAX)")->is_max());
  CHECK(tdsd::type_from_declaration("NTEXT")->is_max());
  CHECK(tdsd::type_from_declaration("VARBINARY(16)")->length == 16);
  CHECK(tdsd::type_from_declaration("BLOB")->is_max());
  CHECK(tdsd::type_from_declaration("DATETIME2(3)")->type == wire_type::datetime2);
  CHECK_FALSE(tdsd::type_from_declaration("GEOGRAPHY"));
}

TEST_CASE("result types widen for data that does not fit and type undeclared columns", "[tdsd][types]") {
  std::vector<std::vector<tdsd::sql_value>> rows{{tdsd::make_integer(5000000000LL), tdsd::make_text("abcdef")},
                                                 {tdsd::make_integer(1), tdsd::make_text(std::string(5000, 'x'))}};
  CHECK(tdsd::settle_column_type(tdsd::type_from_declaration("INT"), rows, 0).length == 8);
  CHECK(tdsd::settle_column_type(tdsd::type_from_declaration("NVARCHAR(3)"), rows, 1).is_max());
  CHECK(tdsd::settle_column_type(std::nullopt, rows, 0).length == 8);
  CHECK(tdsd::settle_column_type(std::nullopt, rows, 1).is_max());
  std::vector<std::vector<tdsd::sql_value>> nulls{{tdsd::sql_value{}}};
  CHECK(tdsd::settle_column_type(std::nullopt, nulls, 0).type == tdsd::wire_type::intn);
}

TEST_CASE("RPC parameter values decode", "[tdsd][rpc]") {
  CHECK(read_param(bytes({0x26, 4, 4, 0xFE, 0xFF, 0xFF, 0xFF})).integer == -2);
  CHECK(read_param(bytes({0x26, 8, 0})).is_null());
  CHECK(read_param(bytes({0x30, 200})).integer == 200);
  CHECK(read_param(bytes({0x68, 1, 1, 1})).integer == 1);
  CHECK(read_param(bytes({0x6D, 8, 8, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F})).real == 1.5);
  // NVARCHAR(10) "hé"
  CHECK(read_param(bytes({0xE7, 20, 0, 9, 4, 0xD0, 0, 0x34, 4, 0, 'h', 0, 0xE9, 0})).bytes == "h\xC3\xA9");
  // NVARCHAR(MAX) as PLP in two chunks, and PLP NULL
  CHECK(read_param(bytes({0xE7, 0xFF, 0xFF, 9, 4, 0xD0, 0, 0x34, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0,
                          2, 0, 0, 0, 'b', 0, 0, 0, 0, 0}))
            .bytes == "ab");
  CHECK(read_param(bytes({0xE7, 0xFF, 0xFF, 9, 4, 0xD0, 0, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}))
            .is_null());
  // NTEXT "x" and IMAGE 0x01 0x02
  CHECK(read_param(bytes({0x63, 0, 0, 0, 0x40, 9, 4, 0xD0, 0, 0x34, 2, 0, 0, 0, 'x', 0})).bytes == "x");
  CHECK(read_param(bytes({0x22, 0, 0, 0, 0x40, 2, 0, 0, 0, 1, 2})).type == tdsd::sql_value::kind::blob);
  // DATETIME 1900-01-02 00:00:01 (300 ticks), DATE 0001-01-02, DATETIME2(7) midnight 0001-01-01
  CHECK(read_param(bytes({0x6F, 8, 8, 1, 0, 0, 0, 0x2C, 1, 0, 0})).bytes == "1900-01-02 00:00:01");
  CHECK(read_param(bytes({0x28, 3, 1, 0, 0})).bytes == "0001-01-02");
  CHECK(read_param(bytes({0x2A, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0})).bytes == "0001-01-01 00:00:00");
  // DATETIMEOFFSET(0): UTC 0001-01-02 23:00 at +02:00 binds as local 0001-01-03 01:00 +02:00
  CHECK(read_param(bytes({0x2B, 0, 8, 0x70, 0x43, 0x01, 1, 0, 0, 120, 0})).bytes == "0001-01-03 01:00:00 +02:00");
  // DECIMAL(5,2) -123.45, exact text
  CHECK(read_param(bytes({0x6A, 5, 5, 2, 5, 0, 0x39, 0x30, 0, 0})).bytes == "-123.45");
  // MONEY -922337203685477.5808 (high half first)
  CHECK(read_param(bytes({0x6E, 8, 8, 0, 0, 0, 0x80, 0, 0, 0, 0})).bytes == "-922337203685477.5808");
  const auto xml = bytes({0xF1});
  tdsd::byte_reader bad(xml);
  CHECK_THROWS_AS(tdsd::read_param_value(bad), tdsd::unsupported_request);
  const auto truncated = bytes({0x26, 4, 4, 1});
  tdsd::byte_reader short_reader(truncated);
  CHECK_THROWS_AS(tdsd::read_param_value(short_reader), tdsd::protocol_error);
}

TEST_CASE("nullable fixed-size values of a length their type cannot have are refused", "[tdsd][rpc]") {
  // Found by tests/fuzz/tds_packet: an INTN of 9+ bytes shifted a 64-bit value by 64.
  for (const auto& data : {bytes({0x26, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}), bytes({0x26, 4, 3, 1, 2, 3}),
                           bytes({0x68, 1, 2, 1, 1}), bytes({0x6D, 8, 5, 0, 0, 0, 0, 0}),
                           bytes({0x6E, 8, 2, 0, 0}), bytes({0x6F, 8, 6, 0, 0, 0, 0, 0, 0}),
                           bytes({0x24, 16, 4, 0, 0, 0, 0})}) {
    tdsd::byte_reader r(data);
    CHECK_THROWS_AS(tdsd::read_param_value(r), tdsd::protocol_error);
  }
  CHECK(read_param(bytes({0x26, 8, 1, 0xFF})).integer == 255);
  CHECK(read_param(bytes({0x26, 8, 2, 0xFF, 0xFF})).integer == -1);
  CHECK(read_param(bytes({0x26, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0x80})).integer == INT64_MIN);
}

TEST_CASE("LOGIN7 fields and the scrambled password decode", "[tdsd][login]") {
  std::vector<std::uint8_t> payload(94, 0);
  const std::string user = tdsd::utf8_to_utf16le("bob");
  std::string password = tdsd::utf8_to_utf16le("pä");
  for (auto& c : password) {
    const auto b = static_cast<std::uint8_t>(c);
    c = static_cast<char>((((b << 4) & 0xF0) | (b >> 4)) ^ 0xA5);
  }
  auto put_field = [&](std::size_t at, const std::string& data) {
    const std::size_t offset = payload.size();
    payload[at] = static_cast<std::uint8_t>(offset);
    payload[at + 1] = static_cast<std::uint8_t>(offset >> 8);
    payload[at + 2] = static_cast<std::uint8_t>(data.size() / 2);
    payload.insert(payload.end(), data.begin(), data.end());
  };
  put_field(40, user);
  put_field(44, password);
  payload[0] = static_cast<std::uint8_t>(payload.size());
  const auto login = tdsd::parse_login7(payload);
  CHECK(login.user == "bob");
  CHECK(login.password == "p\xC3\xA4");
  CHECK(login.database.empty());
  CHECK_FALSE(login.odbc);
  payload[25] = 0x03;  // OptionFlags2 as FreeTDS sends it: fLanguage | fODBC
  CHECK(tdsd::parse_login7(payload).odbc);
  payload[40] = 0xF0;  // user name offset beyond the message
  CHECK_THROWS_AS(tdsd::parse_login7(payload), tdsd::protocol_error);
}

TEST_CASE("PRELOGIN reply announces NOT_SUP and replies are framed at 4096", "[tdsd][framing]") {
  const auto reply = tdsd::prelogin_reply();
  CHECK_NOTHROW(tdsd::check_prelogin(reply));
  CHECK(reply[5] == 0x01);                                   // second option is ENCRYPTION
  CHECK(reply[static_cast<std::size_t>((reply[6] << 8) | reply[7])] == 0x02);
  CHECK_THROWS_AS(tdsd::check_prelogin(bytes({0x00, 0, 50, 0, 6, 0xFF})), tdsd::protocol_error);

  const std::vector<std::uint8_t> payload(10000, 0xAB);
  const auto framed = tdsd::frame_reply(payload, 77);
  REQUIRE(framed.size() == 10000 + 3 * 8);
  CHECK(framed[0] == 0x04);
  CHECK(framed[1] == 0x00);                                  // not the last packet
  CHECK(((framed[2] << 8) | framed[3]) == 4096);
  CHECK(((framed[4] << 8) | framed[5]) == 77);               // SPID
  CHECK(framed[2 * 4096 + 1] == 0x01);                       // end of message on the third
  CHECK(framed[2 * 4096 + 6] == 3);                          // packet id
  CHECK(tdsd::frame_reply(payload, 77, false)[2 * 4096 + 1] == 0x00);
}

TEST_CASE("PRELOGIN ENCRYPTION gets SQL Server's answer in each tls mode", "[tdsd][tls]") {
  using tdsd::encryption;
  using tdsd::tls_mode;
  using tdsd::tls_scope;
  struct cell {
    tls_mode mode;
    encryption client;
    encryption answer;
    tls_scope scope;
  };
  const cell table[] = {
      {tls_mode::off, encryption::off, encryption::not_supported, tls_scope::none},
      {tls_mode::off, encryption::on, encryption::not_supported, tls_scope::none},
      {tls_mode::off, encryption::required, encryption::not_supported, tls_scope::none},
      {tls_mode::optional, encryption::off, encryption::off, tls_scope::login_only},
      {tls_mode::optional, encryption::on, encryption::on, tls_scope::whole_session},
      {tls_mode::optional, encryption::not_supported, encryption::not_supported, tls_scope::none},
      {tls_mode::optional, encryption::required, encryption::on, tls_scope::whole_session},
      {tls_mode::required, encryption::off, encryption::required, tls_scope::whole_session},
      {tls_mode::required, encryption::on, encryption::on, tls_scope::whole_session},
      {tls_mode::required, encryption::not_supported, encryption::required, tls_scope::refuse},
      {tls_mode::required, encryption::required, encryption::on, tls_scope::whole_session},
  };
  for (const auto& c : table) {
    const auto choice = tdsd::negotiate_encryption(c.mode, c.client);
    CHECK(choice.answer == c.answer);
    CHECK(choice.scope == c.scope);
  }
  // VERSION, ENCRYPTION (value last), terminator
  auto prelogin = bytes({0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xFF, 0x0F, 0, 0, 0, 0, 0, 0x01});
  CHECK(tdsd::client_encryption(prelogin) == encryption::on);
  prelogin.back() = 0x80;  // CLIENT_CERT bit with OFF
  CHECK(tdsd::client_encryption(prelogin) == encryption::off);
  prelogin.back() = 0x07;
  CHECK_THROWS_AS(tdsd::client_encryption(prelogin), tdsd::protocol_error);
  CHECK(tdsd::client_encryption(bytes({0, 0, 6, 0, 6, 0xFF, 0x0F, 0, 0, 0, 0, 0})) == encryption::not_supported);
  const auto reply = tdsd::prelogin_reply(encryption::required);
  CHECK(tdsd::client_encryption(reply) == encryption::required);
}

TEST_CASE("config errors carry file:line:col and durations parse", "[tdsd][config]") {
  CHECK(tdsd::parse_duration("250ms").count() == 250);
  CHECK(tdsd::parse_duration("5s").count() == 5000);
  CHECK(tdsd::parse_duration("0").count() == 0);
  CHECK_THROWS(tdsd::parse_duration("5"));
  CHECK_THROWS(tdsd::parse_duration("fast"));
  const auto path = temp_file("databases:\n  - name: A\nfaults:\n  databases:\n    B: {latency: 1s}\n");
  try {
    tdsd::load_config(path);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(path + ":4:") == 0);
    CHECK(std::string(e.what()).find("unknown database 'B'") != std::string::npos);
  }
  std::remove(path.c_str());
}

TEST_CASE("the executor emits one DONE per statement with MORE on all but the last", "[tdsd][executor]") {
  executor_database fixture;
  auto& cancel = fixture.cancel;
  auto& db = fixture.db;
  db.exec("CREATE TABLE t (id INT PRIMARY KEY, name NVARCHAR(10) NOT NULL)");

  tdsd::exec_request batch;
  batch.tsql = "insert into t values (1, 'a'), (2, 'b'); select id, name from t order by id; select tdsd_spid()";
  auto out = tdsd::execute(db.get(), cancel, batch);
  const auto& tokens = out.tokens.data();
  REQUIRE(tokens.size() > 13);
  CHECK_FALSE(out.failed);
  CHECK(tokens[0] == 0xFD);                                  // the INSERT's DONE comes first
  CHECK(tokens[1] == (0x10 | 0x01));                         // COUNT | MORE
  CHECK(tokens[5] == 2);                                     // two rows inserted
  CHECK(tokens[13] == 0x81);                                 // then COLMETADATA
  CHECK(tokens[tokens.size() - 13] == 0xFD);
  CHECK(tokens[tokens.size() - 12] == 0x10);                 // last DONE: COUNT, no MORE
  CHECK(tokens[tokens.size() - 17] == 60);                   // tdsd_spid() as INTN(4) before it

  tdsd::exec_request dup;
  dup.tsql = "insert into t values (1, 'again')";
  out = tdsd::execute(db.get(), cancel, dup);
  CHECK(out.failed);
  CHECK(out.tokens.data()[0] == 0xAA);
  CHECK(tdsd::map_sqlite_error(db.get(), "").number == 2627);

  tdsd::exec_request rpc;
  rpc.in_proc = true;
  rpc.tsql = "select name from t where id = @id";
  rpc.params.push_back({"@id", tdsd::make_integer(2)});
  out = tdsd::execute(db.get(), cancel, rpc);
  const auto& proc = out.tokens.data();
  CHECK(proc[proc.size() - 13] == 0xFE);                     // DONEPROC
  CHECK(proc[proc.size() - 18] == 0x79);                     // after RETURNSTATUS
  CHECK(proc[proc.size() - 31] == 0xFF);                     // after DONEINPROC

  rpc.params.clear();
  out = tdsd::execute(db.get(), cancel, rpc);
  CHECK(out.failed);

  cancel.cancel();
  tdsd::exec_request sleepy;
  sleepy.tsql = "select tdsd_sleep(60000)";
  out = tdsd::execute(db.get(), cancel, sleepy);
  CHECK(out.cancelled);
}

TEST_CASE("a stored text that is no date goes out as NULL in an NBCROW, the row's other cells intact",
          "[tdsd][executor][types]") {
  executor_database fixture;
  fixture.db.exec("CREATE TABLE t (id INT PRIMARY KEY, d DATETIME2, n INT)");
  fixture.db.exec("INSERT INTO t VALUES (1, '2024-01-02', 5), (2, 'not a date', 7), (3, NULL, 9)");
  const auto tokens = fixture.tokens("select id, d, n from t order by id");
  const auto has = [&](std::initializer_list<std::uint8_t> bytes) {
    return std::search(tokens.begin(), tokens.end(), bytes.begin(), bytes.end()) != tokens.end();
  };
  // ROW: INTN(4) 1, DATETIME2(7) of 8 bytes (time 0, then the days), INTN(4) 5
  const auto days = static_cast<std::uint32_t>(tdsd::parse_datetime_text("2024-01-02")->days);
  CHECK(has({0xD1, 4, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(days & 0xFF),
             static_cast<std::uint8_t>(days >> 8 & 0xFF), static_cast<std::uint8_t>(days >> 16), 4, 5, 0, 0, 0}));
  // NBCROW: bitmap 0b010 (the date), then 2 and 7; and for the NULL, the same
  CHECK(has({0xD2, 0x02, 4, 2, 0, 0, 0, 4, 7, 0, 0, 0}));
  CHECK(has({0xD2, 0x02, 4, 3, 0, 0, 0, 4, 9, 0, 0, 0}));
}

TEST_CASE("a result typed as declared is typed again from all its values when one does not fit",
          "[tdsd][executor][types]") {
  executor_database fixture;
  fixture.db.exec("CREATE TABLE w (id INT PRIMARY KEY, name NVARCHAR(3))");
  fixture.db.exec("INSERT INTO w VALUES (1, 'ab'), (2, 'abcdef'), (3, NULL), (4, 'c')");
  const auto run = [&](const std::string& tsql) { return fixture.tokens(tsql); };
  const auto nvarchar_length = [](const std::vector<std::uint8_t>& t) {
    // COLMETADATA, 2 columns; "id" INTN(4) takes bytes 3-15, then "name"'s user type and flags.
    REQUIRE(t.size() > 25);
    CHECK(t[0] == 0x81);
    CHECK(t[22] == 0xE7);
    return t[23] | (t[24] << 8);
  };
  const auto done_rows = [](const std::vector<std::uint8_t>& t) {
    REQUIRE(t.size() > 13);
    CHECK(t[t.size() - 13] == 0xFD);
    return t[t.size() - 8];
  };
  const auto has_utf16 = [](const std::vector<std::uint8_t>& t, const std::string& ascii) {
    std::string u;
    for (char c : ascii) u += std::string{c, '\0'};
    return std::string(t.begin(), t.end()).find(u) != std::string::npos;
  };

  auto t = run("select id, name from w where id <> 2 order by id");  // every value fits NVARCHAR(3)
  CHECK(nvarchar_length(t) == 6);
  CHECK(done_rows(t) == 3);

  t = run("select id, name from w order by id");  // 'abcdef' needs NVARCHAR(6), found on row 2
  CHECK(nvarchar_length(t) == 12);
  CHECK(done_rows(t) == 4);
  CHECK(has_utf16(t, "abcdef"));
  CHECK(std::count(t.begin(), t.end(), std::uint8_t{0x81}) == 1);  // one COLMETADATA, the first one dropped

  t = run("set rowcount 2; select id, name from w order by id");  // SET ROWCOUNT ends a streamed result
  CHECK(done_rows(t) == 2);
  CHECK(has_utf16(t, "abcdef"));
}

TEST_CASE("a kept statement's result shape is read again after SQLite prepared it again", "[tdsd][executor]") {
  executor_database fixture;
  tdsd::statement_cache cache;
  fixture.db.exec("CREATE TABLE s (id INT PRIMARY KEY, name NVARCHAR(10))");
  fixture.db.exec("INSERT INTO s VALUES (1, 'a')");
  const auto columns = [&](const std::string& tsql) {
    const auto t = fixture.tokens(tsql, &cache);
    if (t.size() < 3 || t[0] != 0x81) return -1;  // no result set
    return t[1] | (t[2] << 8);
  };
  CHECK(columns("select * from s") == 2);
  CHECK(columns("select * from s") == 2);  // the noted shape
  CHECK(columns("alter table s add extra int") == -1);
  columns("select * from s");  // SQLite prepares the kept statement again while it steps
  CHECK(columns("select * from s") == 3);
  cache.clear();  // before the connection closes
}
