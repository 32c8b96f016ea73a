// The TenantRegistry database: `SELECT * FROM Tenants`, columns read by name so the
// optional ones (Port, DatabaseUser, CredentialRef, Encrypt, MaxConnections) may be
// absent or NULL. One connection is kept and reopened when it breaks.
#include <algorithm>
#include <cctype>
#include <chrono>

#include "tds_pool/connection.hpp"
#include "tds_pool/registry_source.hpp"

namespace tds_pool {

namespace {

constexpr std::chrono::milliseconds registry_query_timeout{10000};

/// Column positions of one result set, looked up by case-insensitive name.
class columns_by_name {
public:
    explicit columns_by_name(const row_set& set) : set_(set) {}

    const sql_value* get(const std::vector<sql_value>& row, std::string_view name) const {
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

private:
    const row_set& set_;
};

std::string text_of(const sql_value* value) {
    if (value == nullptr) return {};
    if (const auto* s = std::get_if<std::string>(value)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(value)) return std::to_string(*i);
    return {};
}

std::optional<std::int64_t> integer_of(const sql_value* value) {
    if (value == nullptr) return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(value)) return *i;
    if (const auto* b = std::get_if<bool>(value)) return *b ? 1 : 0;
    if (const auto* s = std::get_if<std::string>(value)) {
        try {
            return std::stoll(*s);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

/// A record from one row; nullopt for a row without code, server or database.
std::optional<tenant_record> record_from_row(const columns_by_name& columns,
                                             const std::vector<sql_value>& row) {
    tenant_record out;
    out.code = text_of(columns.get(row, "CompanyCode"));
    std::transform(out.code.begin(), out.code.end(), out.code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    out.name = text_of(columns.get(row, "CompanyName"));
    out.server = text_of(columns.get(row, "DatabaseServer"));
    out.database = text_of(columns.get(row, "DatabaseName"));
    if (out.code.empty() || out.server.empty() || out.database.empty()) return std::nullopt;
    out.active = integer_of(columns.get(row, "IsActive")).value_or(1) != 0;
    if (auto port = integer_of(columns.get(row, "Port")); port && *port > 0 && *port < 65536) {
        out.port = static_cast<std::uint16_t>(*port);
    }
    out.user = text_of(columns.get(row, "DatabaseUser"));
    out.credential_ref = text_of(columns.get(row, "CredentialRef"));
    out.encrypt = integer_of(columns.get(row, "Encrypt")).value_or(0) != 0;
    if (auto max = integer_of(columns.get(row, "MaxConnections")); max && *max > 0) {
        out.max_connections = static_cast<std::size_t>(*max);
    }
    return out;
}

std::vector<tenant_record> records_from(const query_result& result) {
    std::vector<tenant_record> out;
    if (result.sets.empty()) return out;
    const columns_by_name columns(result.sets.front());
    for (const auto& row : result.sets.front().rows) {
        if (auto record = record_from_row(columns, row)) out.push_back(std::move(*record));
    }
    return out;
}

/// Reads the Tenants table over one kept connection.
class tds_source final : public registry_source {
public:
    tds_source(conf::registry_config config, std::shared_ptr<credential_store> secrets,
               std::chrono::milliseconds login_timeout)
        : config_(std::move(config)), secrets_(std::move(secrets)) {
        options_.login_timeout = login_timeout;
        options_.app_name = "tenant-gateway registry";
    }

    outcome<std::vector<tenant_record>> load_all() override {
        auto result = run(query{"SELECT * FROM Tenants", {}, std::nullopt});
        if (!result) return result.error();
        return records_from(result.value());
    }

    outcome<std::optional<tenant_record>> load_one(const std::string& code) override {
        query q{"SELECT * FROM Tenants WHERE CompanyCode = @code",
                {{"code", param_type::string, code}},
                std::nullopt};
        auto result = run(std::move(q));
        if (!result) return result.error();
        auto records = records_from(result.value());
        for (auto& record : records) {
            if (record.code == code) return std::optional<tenant_record>(std::move(record));
        }
        return std::optional<tenant_record>();
    }

    const char* kind() const noexcept override { return "tds"; }

private:
    outcome<query_result> run(const query& q) {
        if (connection_ && connection_->is_dead()) connection_.reset();
        if (!connection_) {
            auto opened = open();
            if (!opened) return opened.error();
            connection_ = std::move(opened.value());
        }
        auto result = connection_->execute(q, registry_query_timeout);
        if (!result && result.error().code != errc::sql_error) connection_.reset();
        return result;
    }

    outcome<std::unique_ptr<connection>> open() {
        auto secret = secrets_->resolve(config_.credential_ref);
        if (auto* problem = std::get_if<credential_problem>(&secret)) {
            return db_error(errc::login_failed, "registry credentials: " + problem->message);
        }
        connection_target target;
        target.server = config_.server;
        target.port = config_.port;
        target.database = config_.database;
        target.user = config_.user;
        target.password = std::move(std::get<std::string>(secret));
        return connection::open(target, options_);
    }

    conf::registry_config config_;
    std::shared_ptr<credential_store> secrets_;
    connect_options options_;
    std::unique_ptr<connection> connection_;
};

}  // namespace

std::unique_ptr<registry_source> make_tds_source(conf::registry_config config,
                                                 std::shared_ptr<credential_store> secrets,
                                                 std::chrono::milliseconds login_timeout) {
    return std::make_unique<tds_source>(std::move(config), std::move(secrets), login_timeout);
}

}  // namespace tds_pool
