// The TenantRegistry database: `SELECT * FROM Tenants`, each row read and checked by
// registry_row. One connection is kept and reopened when it breaks.
#include <chrono>

#include "tds_pool/freetds/connection.hpp"
#include "tds_pool/registry/registry_row.hpp"
#include "tds_pool/registry/registry_source.hpp"

namespace tds_pool {

namespace {

constexpr std::chrono::milliseconds registry_query_timeout{10000};

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
        target.tls = tls_;
        return connection::open(target, options_);
    }

    conf::registry_config config_;
    std::shared_ptr<credential_store> secrets_;
    conf::tls_settings tls_;
    connect_options options_;
    std::unique_ptr<connection> connection_;
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
