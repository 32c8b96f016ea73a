// SET TEXTSIZE in tdsd: the setting per session (0 = 4096, -1 = unlimited), scoped to
// sp_executesql and cleared by a connection reset, and (MAX) values cut to it on the
// wire: UTF-16 bytes for text, whole characters only, other types never cut.
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
#include "tests/tdsd/utf16.hpp"

namespace {

// A (MAX) value as ROW carries it: total length, one chunk, terminator.
std::vector<std::uint8_t> plp(const std::string& data) {
  tdsd::byte_writer w;
  w.u64(data.size());
  if (!data.empty()) {
    w.u32(static_cast<std::uint32_t>(data.size()));
    w.bytes(data);
  }
  w.u32(0);
  return w.data();
}

std::vector<std::uint8_t> written(const tdsd::column_type& t, const std::string& text, std::uint64_t size) {
  tdsd::byte_writer w;
  tdsd::write_value(w, t, tdsd::make_text(text), size);
  return w.data();
}

bool contains(const std::vector<std::uint8_t>& haystack, const std::vector<std::uint8_t>& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

std::string utf16(const std::string& utf8) { return tdsd::utf8_to_utf16le(utf8); }

// A session on a scratch database with one (MAX) text value of 10 characters.
struct session {
  std::string path;
  tdsd::cancel_token cancel;
  tdsd::connection_identity identity{61, &cancel};
  tdsd::transaction_ids transactions;
  std::optional<tdsd::sqlite_connection> db;

  session() {
    char name[] = "/tmp/tdsd-textsize-XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path = name;
    db.emplace(path, &identity);
    db->exec("CREATE TABLE t (body NTEXT); INSERT INTO t VALUES ('abcdefghij')");
  }
  ~session() {
    db.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  }

  std::vector<std::uint8_t> run(const std::string& tsql, bool in_proc = false, bool reset = false) {
    tdsd::exec_request req;
    req.tsql = tsql;
    req.in_proc = in_proc;
    req.reset_connection = reset;
    req.transactions = &transactions;
    req.session = &identity;
    auto out = tdsd::execute(db->get(), cancel, req);
    CHECK_FALSE(out.failed);
    return out.tokens.data();
  }
};

}  // namespace

TEST_CASE("SET TEXTSIZE values mean what SQL Server documents", "[tdsd][textsize]") {
  CHECK(tdsd::textsize_setting(0) == 4096);
  CHECK(tdsd::textsize_setting(-1) == -1);
  CHECK(tdsd::textsize_setting(-7) == -1);
  CHECK(tdsd::textsize_setting(64512) == 64512);
  CHECK(tdsd::textsize_setting(5'000'000'000) == 2147483647);
  CHECK(tdsd::login_textsize(true) == -1);    // fODBC (FreeTDS, pytds): unlimited
  CHECK(tdsd::login_textsize(false) == 4096);  // otherwise (tedious, which then sets its own)
}

TEST_CASE("SET TEXTSIZE and @@TEXTSIZE are rewritten into tdsd's session functions", "[tdsd][textsize]") {
  CHECK(tdsd::rewrite_tsql("SET TEXTSIZE 2048").sql == "SELECT tdsd_set_textsize(2048)");
  CHECK(tdsd::rewrite_tsql("set textsize -1").sql == "SELECT tdsd_set_textsize(-1)");
  CHECK(tdsd::rewrite_tsql("SELECT @@TEXTSIZE").sql == "SELECT tdsd_textsize()");
  CHECK(tdsd::rewrite_tsql("SET TEXTSIZE @n").error.has_value());
  CHECK(tdsd::rewrite_tsql("SET TEXTSIZE 1.5").error.has_value());
  CHECK(tdsd::rewrite_tsql("SET TEXTSIZE").error.has_value());
  CHECK(tdsd::is_set_option("SELECT tdsd_set_textsize(5)"));
  CHECK_FALSE(tdsd::is_set_option("SELECT tdsd_textsize()"));
}

TEST_CASE("a UTF-16 prefix keeps whole characters", "[tdsd][textsize]") {
  CHECK(tdsd::utf16_prefix("abcdef", 6) == "abc");
  CHECK(tdsd::utf16_prefix("abcdef", 7) == "abc");  // an odd byte count never splits a unit
  CHECK(tdsd::utf16_prefix("abc", 100) == "abc");
  CHECK(tdsd::utf16_prefix("\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9");  // é is one unit
  const std::string clef = "a\xF0\x9D\x84\x9E" "b";                   // U+1D11E: a surrogate pair
  CHECK(tdsd::utf16_prefix(clef, 4) == "a");                          // not half of the pair
  CHECK(tdsd::utf16_prefix(clef, 5) == "a");
  CHECK(tdsd::utf16_prefix(clef, 6) == "a\xF0\x9D\x84\x9E");
  CHECK(tdsd::utf16_prefix("", 0).empty());
}

TEST_CASE("write_value cuts (MAX) values to the text size and nothing else", "[tdsd][textsize]") {
  const tdsd::column_type text_max{tdsd::wire_type::nvarchar, tdsd::max_length};
  const tdsd::column_type bytes_max{tdsd::wire_type::varbinary, tdsd::max_length};
  const tdsd::column_type text_4000{tdsd::wire_type::nvarchar, 8000};
  CHECK(written(text_max, "abcdef", 4) == plp(utf16("ab")));
  CHECK(written(text_max, "abcdef", 12) == plp(utf16("abcdef")));  // exactly the size: whole
  CHECK(written(text_max, "abcdef", tdsd::unlimited_text_size) == plp(utf16("abcdef")));
  CHECK(written(bytes_max, "abcdef", 4) == plp("abcd"));
  CHECK(written(bytes_max, "abcdef", 6) == plp("abcdef"));
  CHECK(written(text_4000, "abcdef", 4).size() == 2 + 12);  // NVARCHAR(n) is not a (MAX) type
}

TEST_CASE("the session's text size cuts later result values of the batch", "[tdsd][textsize]") {
  session s;
  const auto whole = plp(utf16("abcdefghij"));
  CHECK(contains(s.run("SELECT body FROM t"), whole));
  const auto cut = s.run("SET TEXTSIZE 6; SELECT body FROM t");
  CHECK(contains(cut, plp(utf16("abc"))));
  CHECK_FALSE(contains(cut, whole));
  CHECK(s.identity.textsize == 6);
  CHECK(contains(s.run("SELECT body FROM t"), plp(utf16("abc"))));  // it stays for the session
  CHECK(contains(s.run("SET TEXTSIZE 0; SELECT body FROM t"), whole));  // 4096: the default
  CHECK(s.identity.textsize == 4096);
  CHECK(contains(s.run("SET TEXTSIZE -1; SELECT body FROM t"), whole));
  CHECK(s.identity.textsize == -1);
}

TEST_CASE("SET TEXTSIZE inside sp_executesql ends with it; a reset clears it", "[tdsd][textsize]") {
  session s;
  s.run("SET TEXTSIZE 8");
  CHECK(contains(s.run("SET TEXTSIZE 2; SELECT body FROM t", true), plp(utf16("a"))));
  CHECK(s.identity.textsize == 8);  // back to the session's own after the procedure
  CHECK(contains(s.run("SELECT body FROM t", true), plp(utf16("abcd"))));
  s.run("SELECT 1", false, true);  // RESETCONNECTION: back to the login's
  CHECK(s.identity.textsize == -1);
  CHECK(contains(s.run("SELECT body FROM t"), plp(utf16("abcdefghij"))));
  s.identity.login_textsize = 4;
  s.run("SET TEXTSIZE 8");
  CHECK(contains(s.run("SELECT body FROM t", true, true), plp(utf16("ab"))));
  CHECK(s.identity.textsize == 4);  // a reset inside sp_executesql outlives it
}

TEST_CASE("@@TEXTSIZE reports the session's setting", "[tdsd][textsize]") {
  session s;
  s.run("SET TEXTSIZE 12345");
  tdsd::byte_writer expected;
  expected.u8(4);  // an INT, as in SQL Server
  expected.u32(12345);
  CHECK(contains(s.run("SELECT @@TEXTSIZE"), expected.data()));
}
