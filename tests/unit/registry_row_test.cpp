// registry_row: every column of a Tenants row checked; a bad value is a problem with a
// reason, never a silent default.
#include <catch2/catch.hpp>

#include "tds_pool/registry/registry_row.hpp"

namespace {

using tds_pool::sql_value;

/// A one-row result of `SELECT * FROM Tenants` with the given columns.
struct table {
    tds_pool::row_set set;

    table(std::vector<std::string> names, std::vector<sql_value> values) {
        for (auto& name : names) set.columns.push_back({std::move(name), tds_pool::column_type::text, 0});
        set.rows.push_back(std::move(values));
    }

    tds_pool::tenant_record record() const {
        return tds_pool::record_from_row(tds_pool::registry_columns(set), set.rows.front());
    }
};

const std::vector<std::string> all_columns = {"CompanyCode", "CompanyName",   "DatabaseServer",
                                              "DatabaseName", "IsActive",     "Port",
                                              "DatabaseUser", "CredentialRef", "Encrypt",
                                              "MaxConnections", "TrustServerCertificate",
                                              "HostNameInCertificate"};

/// A valid row, with one column replaced.
tds_pool::tenant_record with(const std::string& column, sql_value value) {
    std::vector<sql_value> row = {std::string("acme"),        std::string("ACME Corp"),
                                  std::string("sql.acme.com"), std::string("FieldServiceDB"),
                                  std::int64_t{1},            std::int64_t{1433},
                                  std::string("api"),         std::string("env:ACME_PW"),
                                  false,                      std::int64_t{10},
                                  std::monostate{},           std::monostate{}};
    for (std::size_t i = 0; i < all_columns.size(); ++i) {
        if (all_columns[i] == column) row[i] = std::move(value);
    }
    return table(all_columns, std::move(row)).record();
}

}  // namespace

TEST_CASE("a valid row becomes a record without a problem", "[registry][row]") {
    const auto r = with("", {});
    CHECK(r.problem.empty());
    CHECK(r.code == "ACME");
    CHECK(r.server == "sql.acme.com");
    CHECK(r.port == 1433);
    CHECK(r.database == "FieldServiceDB");
    CHECK(r.max_connections == std::optional<std::size_t>(10));
    CHECK(r.active);
    CHECK(r.tls.encrypt == std::optional<bool>(false));
    CHECK_FALSE(r.tls.trust_server_certificate.has_value());  // NULL: pools' default
    CHECK_FALSE(r.tls.host_name_in_certificate.has_value());
}

TEST_CASE("NULL in an optional column is its documented default", "[registry][row]") {
    for (const char* column : {"Port", "DatabaseUser", "CredentialRef", "Encrypt", "MaxConnections", "IsActive",
                               "TrustServerCertificate", "HostNameInCertificate"}) {
        INFO(column);
        const auto r = with(column, std::monostate{});
        CHECK(r.problem.empty());
    }
    CHECK(with("Port", std::monostate{}).port == 1433);
    CHECK_FALSE(with("MaxConnections", std::monostate{}).max_connections.has_value());
    const auto minimal = table({"CompanyCode", "DatabaseServer", "DatabaseName"},
                               {std::string("A"), std::string("h"), std::string("d")})
                             .record();
    CHECK(minimal.problem.empty());
    CHECK(minimal.port == 1433);
}

TEST_CASE("out-of-range numbers are problems, not defaults", "[registry][row]") {
    CHECK(with("Port", std::int64_t{70000}).problem == "Port 70000 is outside 1..65535");
    CHECK(with("Port", std::int64_t{-1}).problem == "Port -1 is outside 1..65535");
    CHECK(with("Port", std::int64_t{0}).problem == "Port 0 is outside 1..65535");
    CHECK(with("Port", std::string("14x")).problem == "Port is not a whole number");
    CHECK(with("Port", std::string("1444")).port == 1444);
    CHECK(with("MaxConnections", std::int64_t{0}).problem == "MaxConnections 0 is outside 1..10000");
    CHECK(with("IsActive", std::int64_t{2}).problem == "IsActive 2 is outside 0..1");
}

TEST_CASE("empty, long or control-character names are problems", "[registry][row]") {
    CHECK(with("DatabaseName", std::string()).problem == "DatabaseName is empty");
    CHECK(with("DatabaseName", std::monostate{}).problem == "DatabaseName is empty");
    CHECK(with("DatabaseServer", std::string()).problem == "DatabaseServer is empty");
    CHECK(with("DatabaseName", std::string(129, 'd')).problem ==
          "DatabaseName is longer than 128 characters");
    CHECK(with("DatabaseUser", std::string("a\nb")).problem == "DatabaseUser holds control characters");
    CHECK(with("DatabaseServer", std::string("host name")).problem ==
          "DatabaseServer is not a host name or address");
    CHECK(with("DatabaseServer", std::string("10.0.0.7")).problem.empty());
}

TEST_CASE("a credential reference must be one; its value is never echoed", "[registry][row]") {
    const auto r = with("CredentialRef", std::string("Secr3t!"));
    CHECK(r.problem == "CredentialRef must look like env:NAME or file:/path");
    CHECK(r.problem.find("Secr3t") == std::string::npos);
}

TEST_CASE("the TLS columns: bits and a certificate name, NULL meaning pools' default", "[registry][row]") {
    CHECK(with("Encrypt", true).tls.encrypt == std::optional<bool>(true));
    CHECK(with("Encrypt", std::monostate{}).tls.encrypt == std::nullopt);
    CHECK(with("Encrypt", std::int64_t{2}).problem == "Encrypt 2 is outside 0..1");
    CHECK(with("TrustServerCertificate", std::int64_t{1}).tls.trust_server_certificate ==
          std::optional<bool>(true));
    const auto named = with("HostNameInCertificate", std::string("acme-sql.database.windows.net"));
    CHECK(named.problem.empty());
    CHECK(named.tls.host_name_in_certificate == std::optional<std::string>("acme-sql.database.windows.net"));
    CHECK(with("HostNameInCertificate", std::string("[::1]")).problem == "HostNameInCertificate is not a DNS name");
    CHECK(with("HostNameInCertificate", std::string()).problem == "HostNameInCertificate is empty");
}

TEST_CASE("several problems are all named, in column order", "[registry][row]") {
    auto r = table(all_columns, {std::string("B"), std::monostate{}, std::string("h"), std::string(),
                                 std::int64_t{1}, std::int64_t{70000}, std::monostate{},
                                 std::monostate{}, std::monostate{}, std::monostate{}})
                 .record();
    CHECK(r.problem == "Port 70000 is outside 1..65535; DatabaseName is empty");
}

TEST_CASE("a row without a usable code cannot be filed under one", "[registry][row]") {
    for (const sql_value& code : {sql_value{std::monostate{}}, sql_value{std::string()},
                                  sql_value{std::string("bad code")}, sql_value{std::string(65, 'A')}}) {
        const auto r = with("CompanyCode", code);
        CHECK(r.code.empty());
        CHECK_FALSE(r.problem.empty());
    }
}
