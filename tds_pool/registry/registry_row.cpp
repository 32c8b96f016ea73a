#include "tds_pool/registry/registry_row.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "tds_pool/credentials.hpp"

namespace tds_pool {

namespace {

// SQL Server's sysname is 128 characters; a DNS name is at most 253.
constexpr std::size_t max_sysname = 128;
constexpr std::size_t max_host_name = 253;
constexpr std::size_t max_company_name = 200;
constexpr std::int64_t max_connections_limit = 10000;

bool is_null(const sql_value* value) {
    return value == nullptr || std::holds_alternative<std::monostate>(*value);
}

std::string text_of(const sql_value* value) {
    if (value == nullptr) return {};
    if (const auto* s = std::get_if<std::string>(value)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(value)) return std::to_string(*i);
    return {};
}

/// An integer column's value; nullopt for text that is not a whole decimal number.
std::optional<std::int64_t> integer_of(const sql_value& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
    if (const auto* b = std::get_if<bool>(&value)) return *b ? 1 : 0;
    if (const auto* s = std::get_if<std::string>(&value)) {
        std::int64_t out = 0;
        const char* end = s->data() + s->size();
        auto [rest, ec] = std::from_chars(s->data(), end, out);
        if (!s->empty() && ec == std::errc{} && rest == end) return out;
    }
    return std::nullopt;
}

bool has_control_characters(const std::string& text) {
    return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

/// Host names, IPv4 and bracketed IPv6 addresses.
bool valid_host(const std::string& host) {
    return std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' ||
               c == ']';
    });
}

/// Collects what is wrong with one row, in column order.
class row_problems {
public:
    void add(std::string what) { problems_.push_back(std::move(what)); }

    void check_text(std::string_view column, const std::string& value, std::size_t max, bool required) {
        if (required && value.empty()) {
            add(fmt::format("{} is empty", column));
        } else if (value.size() > max) {
            add(fmt::format("{} is longer than {} characters", column, max));
        } else if (has_control_characters(value)) {
            add(fmt::format("{} holds control characters", column));
        }
    }

    /// An optional integer column: NULL gives nullopt, anything outside [min, max] a problem.
    std::optional<std::int64_t> integer(std::string_view column, const sql_value* value,
                                        std::int64_t min, std::int64_t max) {
        if (is_null(value)) return std::nullopt;
        const auto number = integer_of(*value);
        if (!number) {
            add(fmt::format("{} is not a whole number", column));
        } else if (*number < min || *number > max) {
            add(fmt::format("{} {} is outside {}..{}", column, *number, min, max));
        } else {
            return number;
        }
        return std::nullopt;
    }

    std::string joined() const { return fmt::format("{}", fmt::join(problems_, "; ")); }

private:
    std::vector<std::string> problems_;
};

void read_location(const registry_columns& columns, const std::vector<sql_value>& row,
                   tenant_record& out, row_problems& problems) {
    out.server = text_of(columns.get(row, "DatabaseServer"));
    problems.check_text("DatabaseServer", out.server, max_host_name, true);
    if (!out.server.empty() && !valid_host(out.server)) {
        problems.add("DatabaseServer is not a host name or address");
    }
    if (auto port = problems.integer("Port", columns.get(row, "Port"), 1, 65535)) {
        out.port = static_cast<std::uint16_t>(*port);
    }
    out.database = text_of(columns.get(row, "DatabaseName"));
    problems.check_text("DatabaseName", out.database, max_sysname, true);
}

void read_login(const registry_columns& columns, const std::vector<sql_value>& row,
                tenant_record& out, row_problems& problems) {
    out.user = text_of(columns.get(row, "DatabaseUser"));
    problems.check_text("DatabaseUser", out.user, max_sysname, false);
    out.credential_ref = text_of(columns.get(row, "CredentialRef"));
    if (!out.credential_ref.empty() && !is_credential_ref(out.credential_ref)) {
        problems.add("CredentialRef must look like env:NAME or file:/path");
    }
}

/// Encrypt, TrustServerCertificate (0/1) and HostNameInCertificate; NULL: pools' default.
void read_tls(const registry_columns& columns, const std::vector<sql_value>& row,
              tenant_record& out, row_problems& problems) {
    if (auto encrypt = problems.integer("Encrypt", columns.get(row, "Encrypt"), 0, 1)) {
        out.tls.encrypt = *encrypt != 0;
    }
    if (auto trust = problems.integer("TrustServerCertificate",
                                      columns.get(row, "TrustServerCertificate"), 0, 1)) {
        out.tls.trust_server_certificate = *trust != 0;
    }
    const sql_value* name = columns.get(row, "HostNameInCertificate");
    if (is_null(name)) {
        return;
    }
    out.tls.host_name_in_certificate = text_of(name);
    const std::string& host = *out.tls.host_name_in_certificate;
    problems.check_text("HostNameInCertificate", host, max_host_name, true);
    if (!host.empty() && (!valid_host(host) || host.find_first_of(":[]_") != std::string::npos)) {
        problems.add("HostNameInCertificate is not a DNS name");
    }
}

void read_limits(const registry_columns& columns, const std::vector<sql_value>& row,
                 tenant_record& out, row_problems& problems) {
    out.active = problems.integer("IsActive", columns.get(row, "IsActive"), 0, 1).value_or(1) != 0;
    if (auto max = problems.integer("MaxConnections", columns.get(row, "MaxConnections"), 1,
                                    max_connections_limit)) {
        out.max_connections = static_cast<std::size_t>(*max);
    }
    constexpr std::int64_t max_limit = 1'000'000;
    if (auto rate = problems.integer("RateLimitPerSecond", columns.get(row, "RateLimitPerSecond"), 0, max_limit)) {
        out.rate_limit_per_second = static_cast<std::uint32_t>(*rate);
    }
    if (auto concurrent = problems.integer("MaxConcurrentRequests", columns.get(row, "MaxConcurrentRequests"), 0,
                                           max_limit)) {
        out.max_concurrent_requests = static_cast<std::uint32_t>(*concurrent);
    }
}

}  // namespace

bool is_company_code(std::string_view code) noexcept {
    constexpr std::size_t max_code = 64;
    return !code.empty() && code.size() <= max_code && std::all_of(code.begin(), code.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
           });
}

const sql_value* registry_columns::get(const std::vector<sql_value>& row, std::string_view name) const {
    for (std::size_t i = 0; i < set_.columns.size() && i < row.size(); ++i) {
        const std::string& column = set_.columns[i].name;
        if (std::equal(column.begin(), column.end(), name.begin(), name.end(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            return &row[i];
        }
    }
    return nullptr;
}

tenant_record record_from_row(const registry_columns& columns, const std::vector<sql_value>& row) {
    tenant_record out;
    out.code = text_of(columns.get(row, "CompanyCode"));
    std::transform(out.code.begin(), out.code.end(), out.code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!is_company_code(out.code)) {
        out.code.clear();
        out.problem = "CompanyCode is missing or not 1 to 64 of A-Z, 0-9, '_' and '-'";
        return out;
    }
    row_problems problems;
    out.name = text_of(columns.get(row, "CompanyName"));
    problems.check_text("CompanyName", out.name, max_company_name, false);
    read_location(columns, row, out, problems);
    read_login(columns, row, out, problems);
    read_tls(columns, row, out, problems);
    read_limits(columns, row, out, problems);
    out.problem = problems.joined();
    return out;
}

std::vector<tenant_record> records_from(const query_result& result) {
    std::vector<tenant_record> out;
    if (result.sets.empty()) return out;
    const registry_columns columns(result.sets.front());
    for (const auto& row : result.sets.front().rows) out.push_back(record_from_row(columns, row));
    return out;
}

}  // namespace tds_pool
