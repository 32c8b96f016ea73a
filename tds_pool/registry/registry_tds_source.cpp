// The TenantRegistry database: `SELECT * FROM Tenants`, each row read and checked by
// registry_row. One connection is kept and reopened when it breaks. The change check
// reads `MAX(UpdatedAt), COUNT(*)`: an insert or an update that stamps UpdatedAt moves
// the first, a delete the second. A table without UpdatedAt has no check (the refresh
// interval alone notices changes), which is asked again at each full load.
#include <chrono>

#include "tds_pool/freetds/connection.hpp"
#include "tds_pool/registry/registry_row.hpp"
#include "tds_pool/registry/registry_source.hpp"

namespace tds_pool {

namespace {

constexpr std::chrono::milliseconds registry_query_timeout{10000};

/// One row whose every change means the table changed (writers stamp UpdatedAt).
constexpr const char* change_mark_sql = "SELECT MAX(UpdatedAt), COUNT(*) FROM Tenants";

/// The change mark's values (the first row of the first set; empty when there is none).
std::vector<sql_value> mark_of(const query_result& result) {
    if (result.sets.empty() || result.sets.front().rows.empty()) return {};
    return result.sets.front().rows.front();
}

/// Reads the Tenants table over one kept connection.
class tds_source final : public registry_source {
public:
    tds_source(conf::registry_config config, std::shared_ptr<credential_store> secrets,
               std::chrono::milliseconds login_timeout, conf::tls_settings tls)
        : config_(std::move(config)), secrets_(std::move(secrets)), tls_(std::move(tls)) {
        options_.login_timeout = login_timeout;
        options_.app_name = "tenant-gateway registry";
    }

    outcome<std::vector<tenant_record>> load_all() override {
        // the mark first: a change between the two reads is seen by the next check
        auto mark = read_mark();
        if (!mark) return mark.error();
        auto result = run(query{"SELECT * FROM Tenants", {}, std::nullopt});
        if (!result) return result.error();
        loaded_mark_ = std::move(mark.value());
        return records_from(result.value());
    }

    outcome<change_answer> check_changed() override {
        if (!loaded_mark_) return change_answer::unsupported;
        auto mark = read_mark();
        if (!mark) return mark.error();
        if (!mark.value()) return change_answer::unsupported;
        return *mark.value() == *loaded_mark_ ? change_answer::unchanged : change_answer::changed;
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
    /// The change mark; an empty optional when the table has no UpdatedAt (the server
    /// refuses the query), an error when the registry cannot be asked.
    outcome<std::optional<std::vector<sql_value>>> read_mark() {
        auto result = run(query{change_mark_sql, {}, std::nullopt});
        if (result) return std::optional<std::vector<sql_value>>(mark_of(result.value()));
        if (result.error().code == errc::sql_error) return std::optional<std::vector<sql_value>>();
        return result.error();
    }

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
        target.tls = tls_;
        return connection::open(target, options_);
    }

    conf::registry_config config_;
    std::shared_ptr<credential_store> secrets_;
    conf::tls_settings tls_;
    connect_options options_;
    std::unique_ptr<connection> connection_;
    /// The change mark read with the last full load; empty when the table has none.
    std::optional<std::vector<sql_value>> loaded_mark_;
};

}  // namespace

std::unique_ptr<registry_source> make_tds_source(conf::registry_config config,
                                                 std::shared_ptr<credential_store> secrets,
                                                 std::chrono::milliseconds login_timeout,
                                                 conf::tls_settings tls) {
    return std::make_unique<tds_source>(std::move(config), std::move(secrets), login_timeout,
                                        std::move(tls));
}

}  // namespace tds_pool
