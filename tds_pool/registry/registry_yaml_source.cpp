// The static YAML registry: the configured `tenants:` list, fixed until a config reload.
#include "tds_pool/registry/registry_source.hpp"

namespace tds_pool {

namespace {

/// Serves the records read from the configuration file.
class yaml_source final : public registry_source {
public:
    explicit yaml_source(std::vector<conf::tenant_config> tenants) {
        for (const auto& tenant : tenants) records_.push_back(record_from_config(tenant));
    }

    outcome<std::vector<tenant_record>> load_all() override { return records_; }

    outcome<std::optional<tenant_record>> load_one(const std::string& code) override {
        for (const auto& record : records_) {
            if (record.code == code) return std::optional<tenant_record>(record);
        }
        return std::optional<tenant_record>();
    }

    const char* kind() const noexcept override { return "yaml"; }

private:
    std::vector<tenant_record> records_;
};

}  // namespace

std::unique_ptr<registry_source> make_yaml_source(std::vector<conf::tenant_config> tenants) {
    return std::make_unique<yaml_source>(std::move(tenants));
}

}  // namespace tds_pool
