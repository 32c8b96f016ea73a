// conf/demo/*.sql load through split_go_batches + rewrite_tsql into SQLite, as tdsd loads
// them, and hold what the demo relies on.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/tdsd/tsql_rewrite.hpp"
#include "tests/unit/tdsd_sqlite_runner.hpp"

using tdsd_test::rows;
using tdsd_test::sqlite_db;

namespace {

std::string demo_file(const std::string& name) {
  const char* root = std::getenv("TG_SOURCE_DIR");
  const std::string path = std::string(root ? root : ".") + "/conf/demo/" + name;
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void load(sqlite_db& db, const std::string& name) {
  const auto batches = tdsd::split_go_batches(demo_file(name));
  REQUIRE_FALSE(batches.empty());
  for (const auto& batch : batches) db.run_tsql(batch);
}

std::string one(sqlite_db& db, const std::string& sql) { return db.run(sql).at(0).at(0); }

}  // namespace

TEST_CASE("the registry holds the five tenants of the architecture document", "[tdsd][demo]") {
  sqlite_db db;
  load(db, "registry.sql");
  CHECK(db.run("SELECT CompanyCode, DatabaseServer, DatabaseName FROM Tenants ORDER BY TenantId") ==
        rows{{"DCPSP", "customer-portal-sql-server.database.windows.net", "FieldServiceDB"},
             {"DEMO", "customer-portal-sql-server.database.windows.net", "FieldServiceDB_Demo"},
             {"ACME", "acme-sql.database.windows.net", "FieldServiceDB_ACME"},
             {"TECHSTART", "sql.techstart.com", "FieldServiceDB"},
             {"GLOBALSEC", "globalsec-db.aws.rds.amazonaws.com", "FieldServiceDB"}});
  CHECK(one(db, "SELECT COUNT(*) FROM Tenants WHERE IsActive = 1 AND length(UpdatedAt) = 23") == "5");
  CHECK(one(db, "SELECT COUNT(*) FROM Tenants WHERE CredentialRef IS NOT NULL "
                "AND CredentialRef NOT LIKE 'env:%'") == "0");
  // The demo repoints tenants at local ports exactly like this.
  db.run_tsql("UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = 41433, "
              "UpdatedAt = SYSUTCDATETIME() WHERE CompanyCode = N'ACME'");
  CHECK(one(db, "SELECT Port FROM Tenants WHERE CompanyCode = 'ACME'") == "41433");
}

TEST_CASE("every tenant database loads and shows which tenant it belongs to", "[tdsd][demo]") {
  const std::vector<std::pair<std::string, std::string>> tenants{
      {"dcpsp.sql", "DCPSP"}, {"demo.sql", "Demo"}, {"acme.sql", "ACME"},
      {"techstart.sql", "TechStart"}, {"globalsec.sql", "GlobalSec"}};
  std::string hash_kinds;
  for (const auto& [file, tag] : tenants) {
    INFO(file);
    sqlite_db db;
    load(db, "fieldservice_schema.sql");
    load(db, file);
    CHECK(one(db, "SELECT COUNT(*) FROM Customers WHERE instr(Name, '" + tag + "') = 0") == "0");
    CHECK(one(db, "SELECT COUNT(*) FROM Sites") == "6");
    CHECK(std::stoi(one(db, "SELECT COUNT(*) FROM Tickets")) >= 12);
    CHECK(one(db, "SELECT COUNT(*) FROM Tickets t LEFT JOIN Sites s ON s.SiteId = t.SiteId "
                  "WHERE s.SiteId IS NULL") == "0");
    CHECK(one(db, "SELECT COUNT(*) FROM Users WHERE substr(PasswordHash, 1, 1) <> '$'") == "0");
    // Non-ASCII names: fewer characters than UTF-8 bytes.
    CHECK(one(db, "SELECT COUNT(*) FROM Customers WHERE length(Name) < length(CAST(Name AS BLOB))") != "0");
    for (const auto& row : db.run("SELECT substr(PasswordHash, 1, 3) FROM Users")) {
      hash_kinds += row.at(0);
    }
  }
  CHECK(hash_kinds.find("$2b") != std::string::npos);
  CHECK(hash_kinds.find("$y$") != std::string::npos);
  CHECK(hash_kinds.find("$6$") != std::string::npos);
}

TEST_CASE("the seed's user logs in against ACME's rows", "[tdsd][demo]") {
  sqlite_db db;
  load(db, "fieldservice_schema.sql");
  load(db, "acme.sql");
  CHECK(db.run_tsql("SELECT TOP 1 DisplayName, Role FROM Users WHERE Username = N'john@acme.com' "
                    "AND IsActive = 1") == rows{{"John Smith", "admin"}});
  CHECK(db.run_tsql("SELECT COUNT(*) FROM Tickets WHERE Status = N'Open' AND LEN(Title) > 0") !=
        rows{{"0"}});
}
