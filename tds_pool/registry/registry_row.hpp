#pragma once
// One row of the Tenants table as a tenant_record, every column checked. A row is
// never silently defaulted into something else: a Port of 70000 does not become 1433,
// an empty DatabaseName does not make the tenant vanish. What is wrong is kept in the
// record's `problem`, and such a tenant is refused with a reason instead of served.
// NULL in an optional column (Port, DatabaseUser, CredentialRef, Encrypt,
// MaxConnections, IsActive) means the documented default.

#include <string_view>
#include <vector>

#include "tds_pool/registry/registry_record.hpp"
#include "tds_pool/sql_value.hpp"

namespace tds_pool {

/// Column positions of one result set, looked up by case-insensitive name.
class registry_columns {
public:
    explicit registry_columns(const row_set& set) : set_(set) {}

    /// The row's value in the named column; nullptr when the result has no such column.
    const sql_value* get(const std::vector<sql_value>& row, std::string_view name) const;

private:
    const row_set& set_;
};

/// True for a company code as stored: 1 to 64 of A-Z, 0-9, '_' and '-' (upper case).
bool is_company_code(std::string_view code) noexcept;

/// The record of one row. A row whose CompanyCode is missing or not a valid code
/// (1 to 64 of A-Z, 0-9, '_', '-' after upper-casing) comes back with an empty code
/// and a problem: it cannot be looked up, only counted and logged.
tenant_record record_from_row(const registry_columns& columns, const std::vector<sql_value>& row);

/// The records of the first result set of `SELECT * FROM Tenants`.
std::vector<tenant_record> records_from(const query_result& result);

}  // namespace tds_pool
