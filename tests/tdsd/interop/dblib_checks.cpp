// What db-lib must get right against tdsd: logins, batches, sp_executesql with every
// parameter type, every result type with NULLs, values larger than a packet, errors and
// time-outs that leave the connection usable. Runs on interop.sql's InteropDB.
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "tests/tdsd/interop/dblib_checks.hpp"

namespace tdsd_interop {

namespace {

/// A failed expectation: the check stops and reports `what`.
struct check_failed {
  std::string what;
};

void expect(bool condition, const std::string& what) {
  if (!condition) throw check_failed{what};
}

std::string describe(const results& r) {
  if (!r) return "failed: " + std::to_string(last_diagnostics().message_number) + " " +
                 last_diagnostics().message + " / " + last_diagnostics().db_message;
  std::string out;
  for (const auto& set : *r) {
    out += "[";
    for (const auto& row : set) {
      out += "(";
      for (const auto& c : row) out += c.text + "|";
      out += ")";
    }
    out += "]";
  }
  return out;
}

// The single value of a one-row, one-column result.
std::string scalar_text(const results& r) {
  expect(r && r->size() == 1 && r->front().size() == 1 && r->front().front().size() == 1,
         "expected one value, got " + describe(r));
  return r->front().front().front().text;
}

// db-lib's own text for 2024-05-01 10:20:30.1234567 is "May  1 2024 10:20:30:1234567AM".
bool is_may_first(const std::string& text) {
  return text.starts_with("May  1 2024 10:20:30") && text.find("1234567") != std::string::npos;
}

DBDATETIMEALL datetime2(int days_since_1900, unsigned long long ticks) {
  DBDATETIMEALL v{};
  v.date = days_since_1900;
  v.time = ticks;
  v.time_prec = 7;
  v.has_date = 1;
  v.has_time = 1;
  return v;
}

void check_login(const target& t) {
  session s(t);
  expect(s.ok(), "login failed: " + last_diagnostics().message);
  expect(dbspid(s.proc()) > 0, "no SPID from the login reply");
}

void check_bad_password(const target& t) {
  target wrong = t;
  wrong.password += "-wrong";
  session s(wrong);
  expect(!s.ok(), "a wrong password logged in");
  expect(last_diagnostics().message_number == 18456,
         "want error 18456, got " + std::to_string(last_diagnostics().message_number));
}

void check_forbidden_database(const target& t) {
  target other = t;
  other.database = "FieldServiceDB_Other";
  session s(other);
  expect(!s.ok(), "logged into a database the login may not open");
  expect(last_diagnostics().message_number == 4060,
         "want error 4060, got " + std::to_string(last_diagnostics().message_number));
}

void check_batch(DBPROCESS* proc) {
  const auto r = run_batch(proc, "SET NOCOUNT ON; SELECT 1 AS one; SELECT N'two' AS two, 3 AS three");
  expect(r && r->size() == 2, "want two result sets, got " + describe(r));
  expect((*r)[0][0][0].text == "1", "first set: " + describe(r));
  expect((*r)[1][0][0].text == "two" && (*r)[1][0][1].text == "3", "second set: " + describe(r));
}

void check_rpc_types(DBPROCESS* proc) {
  const std::string text = "Grüße aus 東京 ✓";
  std::vector<rpc_param> params{
      scalar<DBINT>("@i", SYBINT4, -7),
      scalar<DBBIGINT>("@b", SYBINT8, (1LL << 40) + 5),
      scalar<DBFLT8>("@f", SYBFLT8, 3.25),
      scalar<DBBIT>("@bit", SYBBIT, 1),
      text_param("@s", text),
      rpc_param{"@bin", SYBIMAGE, {0x00, 0x01, 0xFE, 0xFF}, false},
      // 2024-05-01 is day 45411 after 1900-01-01; 10:20:30.1234567 in 100 ns ticks.
      scalar<DBDATETIMEALL>("@d", SYBMSDATETIME2, datetime2(45411, 372301234567ULL)),
      rpc_param{"@n", SYBNTEXT, {}, true},
  };
  const auto r = run_rpc(proc, "SELECT @i AS i, @b AS b, @f AS f, @bit AS bit, @s AS s, @bin AS bin, "
                               "@d AS d, @n AS n",
                         "@i int, @b bigint, @f float, @bit bit, @s nvarchar(max), @bin varbinary(max), "
                         "@d datetime2, @n nvarchar(max)",
                         std::move(params));
  expect(r && r->size() == 1 && (*r)[0].size() == 1, "rpc: " + describe(r));
  const auto& row = (*r)[0][0];
  const std::vector<std::string> want{"-7", std::to_string((1LL << 40) + 5), "3.25", "1", text, "0001FEFF"};
  for (std::size_t i = 0; i < want.size(); ++i) {
    expect(row[i].text == want[i], "column " + std::to_string(i) + ": " + describe(r));
  }
  // A bare parameter has no column type in SQLite: tdsd sends it back as ISO text.
  expect(is_may_first(row[6].text) || row[6].text == "2024-05-01 10:20:30.1234567",
         "datetime2: " + row[6].text);
  expect(row[7].text == "NULL", "NULL parameter: " + row[7].text);
}

void check_result_types(DBPROCESS* proc) {
  const auto r = run_batch(proc, "SELECT I32, I64, F, B, S, Doc, Bin, Blob, D FROM AllTypes ORDER BY Id");
  expect(r && r->size() == 1 && (*r)[0].size() == 2, "AllTypes: " + describe(r));
  const auto& values = (*r)[0][0];
  const auto& nulls = (*r)[0][1];
  const std::vector<int> types{SYBINT4, SYBINT8, SYBFLT8, SYBBIT};
  for (std::size_t i = 0; i < types.size(); ++i) {
    expect(values[i].type == types[i], "column " + std::to_string(i) + " has db-lib type " +
                                           std::to_string(values[i].type));
  }
  expect(values[8].type == SYBMSDATETIME2, "D has db-lib type " + std::to_string(values[8].type));
  const std::vector<std::string> want{"-42", "9007199254740993", "2.5", "1", "Müller 東京", "doc",
                                      "00FF10", "CAFE"};
  for (std::size_t i = 0; i < want.size(); ++i) {
    expect(values[i].text == want[i], "column " + std::to_string(i) + ": " + describe(r));
  }
  expect(is_may_first(values[8].text), "D: " + values[8].text);
  for (const auto& c : nulls) expect(c.text == "NULL", "NULL row: " + describe(r));
}

// interop.sql's Typed row: every declared type with its edge value, as db-lib types and
// converts it to text from the TYPE_INFO SQL Server sends (the same for a real server).
// db-lib reports every character type as SYBCHAR and VARBINARY as SYBBINARY; its text for
// a DATETIMEOFFSET is the local time without the offset.
// UNIQUEIDENTIFIER's TDS type 0x24: sybdb.h names no constant for it (FreeTDS's tds.h
// calls it SYBUNIQUE).
constexpr int guid_type = 0x24;

struct typed_column {
  const char* name;
  int type;
  const char* text;
};

const std::vector<typed_column>& typed_columns() {
  static const std::vector<typed_column> columns{
      {"Tiny", SYBINT1, "255"},
      {"Small", SYBINT2, "-32768"},
      {"Int32", SYBINT4, "-2147483648"},
      {"Big", SYBINT8, "9223372036854775807"},
      {"Price", SYBDECIMAL, "-9999999999.99"},
      {"Wide", SYBDECIMAL, "9999999999999999999999999999.9999999999"},
      {"Num", SYBNUMERIC, "-99999999999999999999999999999999999999"},
      {"Cash", SYBMONEY, "-922337203685477.5808"},
      {"SmallCash", SYBMONEY4, "214748.3647"},
      {"Ratio", SYBREAL, "1.5"},
      {"Measure", SYBFLT8, "2.25"},
      {"Day", SYBMSDATE, "Dec 31 9999 12:00:00:AM"},
      {"Clock", SYBMSTIME, "Jan  1 1900 11:59:59:9999999PM"},
      {"Stamp", SYBDATETIME, "May  1 2024 10:20:30:123AM"}  /* 1/300 s ticks */,
      {"SmallStamp", SYBDATETIME4, "May  1 2024 10:21:00:000AM"},
      {"Precise", SYBMSDATETIME2, "Dec 31 9999 11:59:59:9999999PM"},
      {"Appointment", SYBMSDATETIMEOFFSET, "May  1 2024 10:20:30:1234567AM"},
      {"Ref", guid_type, "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
      {"Code", SYBCHAR, "AB  "},
      {"Latin", SYBCHAR, "€ Š œ ÿ Müller"},
      {"LatinMax", SYBCHAR, "€uro"},
      {"Fixed", SYBCHAR, "x  "},
      {"Label", SYBCHAR, "Grüße 東京"},
      {"Raw", SYBBINARY, "01020000"},
      {"Blob", SYBBINARY, "CAFE"},
      {"Flag", SYBBIT, "1"},
  };
  return columns;
}

void check_typed_table(DBPROCESS* proc) {
  std::string select;
  for (const auto& c : typed_columns()) select += (select.empty() ? "" : ", ") + std::string(c.name);
  expect(run_batch(proc, "INSERT INTO Typed (Tiny) VALUES (NULL)").has_value(), "NULL row not inserted");
  const auto r = run_batch(proc, "SELECT " + select + " FROM Typed ORDER BY Id");
  expect(r && r->size() == 1 && (*r)[0].size() == 2, "Typed: " + describe(r));
  const auto& values = (*r)[0][0];
  std::string wrong;
  for (std::size_t i = 0; i < typed_columns().size(); ++i) {
    const auto& want = typed_columns()[i];
    if (values[i].type != want.type || values[i].text != want.text) {
      wrong += std::string(" ") + want.name + "=(" + std::to_string(values[i].type) + ", '" + values[i].text + "')";
    }
  }
  expect(wrong.empty(), "Typed columns differ:" + wrong);
  for (const auto& c : (*r)[0][1]) expect(c.text == "NULL", "NULL row: " + describe(r));
}

// db-lib's LOGIN7 has no fODBC flag, so SQL Server starts the session at TEXTSIZE 4096
// (MAX values cut there); a db-lib application that reads longer ones sets its own.
void check_large_values(DBPROCESS* proc) {
  const auto initial = scalar_text(run_batch(proc, "SELECT @@TEXTSIZE"));
  expect(initial == "4096", "a db-lib session starts at TEXTSIZE " + initial);
  std::string big;
  while (big.size() < 100 * 1024) big += "Grüße 東京 " + std::to_string(big.size()) + "; ";
  const auto inserted = run_rpc(proc, "INSERT INTO Notes (Body) OUTPUT INSERTED.Id VALUES (@body)",
                                "@body nvarchar(max)", {text_param("@body", big)});
  const auto id = scalar_text(inserted);
  DBINT id_value = std::stoi(id);
  auto read_back = [&] {
    return scalar_text(run_rpc(proc, "SELECT Body FROM Notes WHERE Id = @id", "@id int",
                               {scalar<DBINT>("@id", SYBINT4, id_value)}));
  };
  // 7 bytes of UTF-16 hold three whole characters: db-lib converts the cut value cleanly.
  expect(run_batch(proc, "SET TEXTSIZE 7").has_value(), "SET TEXTSIZE 7 failed");
  const auto cut = read_back();
  expect(cut == "Grü", "TEXTSIZE 7 gave '" + cut + "'");
  expect(run_batch(proc, "SET TEXTSIZE 2147483647").has_value(), "SET TEXTSIZE 2147483647 failed");
  const auto body = read_back();
  expect(body.size() == big.size(), "100 KB text came back with " + std::to_string(body.size()) + " bytes");
  expect(body == big, "100 KB text came back different");
}

void check_error_then_query(DBPROCESS* proc) {
  const auto bad = run_batch(proc, "SELECT * FROM NoSuchTable");
  expect(!bad, "a query on a missing table succeeded");
  expect(last_diagnostics().message_number == 208,
         "want error 208, got " + std::to_string(last_diagnostics().message_number));
  const auto refused = run_batch(proc, "EXEC sp_who");
  expect(!refused && last_diagnostics().message.find("EXEC") != std::string::npos,
         "EXEC: " + last_diagnostics().message);
  expect(scalar_text(run_batch(proc, "SELECT 42")) == "42", "no answer after the errors");
}

void check_timeout_then_query(DBPROCESS* proc) {
  const auto started = std::chrono::steady_clock::now();
  dbsetopt(proc, DBSETTIME, "1", 0);
  const auto slow = run_batch(proc, "WAITFOR DELAY '00:00:20'");
  expect(!slow, "WAITFOR DELAY '00:00:20' finished inside a 1 s time-out");
  expect(last_diagnostics().timeouts >= 1, "no time-out was reported");
  dbsetopt(proc, DBSETTIME, "0", 0);
  expect(scalar_text(run_batch(proc, "SELECT 7")) == "7", "no answer after the cancel");
  // 20 s minus a wide margin: only a cancel that really stopped the delay gets here.
  const auto elapsed = std::chrono::steady_clock::now() - started;
  expect(elapsed < std::chrono::seconds(15), "the cancelled WAITFOR was not interrupted");
}

}  // namespace

int run_suite(const target& t) {
  session s(t);
  const std::vector<std::pair<std::string, std::function<void()>>> checks{
      {"login", [&] { check_login(t); }},
      {"bad_password", [&] { check_bad_password(t); }},
      {"forbidden_database", [&] { check_forbidden_database(t); }},
      {"batch", [&] { check_batch(s.proc()); }},
      {"rpc_parameter_types", [&] { check_rpc_types(s.proc()); }},
      {"result_types_and_nulls", [&] { check_result_types(s.proc()); }},
      {"typed_table", [&] { check_typed_table(s.proc()); }},
      {"values_larger_than_a_packet", [&] { check_large_values(s.proc()); }},
      {"error_then_query", [&] { check_error_then_query(s.proc()); }},
      {"timeout_then_query", [&] { check_timeout_then_query(s.proc()); }},
  };
  int failures = 0;
  for (const auto& [name, check] : checks) {
    try {
      if (!s.ok()) throw check_failed{"cannot log in: " + last_diagnostics().message};
      check();
      std::printf("PASS %s\n", name.c_str());
    } catch (const check_failed& f) {
      ++failures;
      std::printf("FAIL %s: %s\n", name.c_str(), f.what.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("%zu passed, %d failed\n", checks.size() - static_cast<std::size_t>(failures), failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace tdsd_interop
