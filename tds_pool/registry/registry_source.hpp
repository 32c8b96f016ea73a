#pragma once
// Where the registry reads tenants from: the static YAML list, or the Tenants table of
// the TenantRegistry database over TDS. Sources block (FreeTDS); the registry calls
// them on its own worker thread, never on an HTTP thread.

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "tds_pool/credentials.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/registry/registry_record.hpp"

namespace tds_pool {

/// What a source's cheap change check answered.
enum class change_answer {
    changed,      ///< the tenants changed since the last load_all: load them again
    unchanged,    ///< nothing changed since the last load_all
    unsupported,  ///< the source has no such check: only the full refresh notices changes
};

/// A blocking reader of tenant records; one caller at a time.
class registry_source {
public:
    virtual ~registry_source() = default;
    /// Every tenant, active or not.
    virtual outcome<std::vector<tenant_record>> load_all() = 0;
    /// Whether the tenants changed since the last load_all, asked far more cheaply than
    /// load_all (registry.change_poll_interval); unsupported unless a source has a way.
    virtual outcome<change_answer> check_changed() { return change_answer::unsupported; }
    /// One tenant by upper-case code; an empty optional when there is no such row.
    virtual outcome<std::optional<tenant_record>> load_one(const std::string& code) = 0;
    /// "yaml" or "tds", for logs.
    virtual const char* kind() const noexcept = 0;
};

/// The `tenants:` list of the configuration.
std::unique_ptr<registry_source> make_yaml_source(std::vector<conf::tenant_config> tenants);

/// The Tenants table of registry.database on registry.server, logging in as
/// registry.user with the secret of registry.credential_ref, secured as `tls` says.
std::unique_ptr<registry_source> make_tds_source(conf::registry_config config,
                                                 std::shared_ptr<credential_store> secrets,
                                                 std::chrono::milliseconds login_timeout,
                                                 conf::tls_settings tls);

/// What a blocking source call answered: a value, or why not.
template <class Value>
struct source_reply {
    std::optional<std::string> error;
    Value value{};
};

/// Runs `load` (a registry_source call returning an outcome), an exception counted as
/// an error: a source's failure must never escape the registry's worker.
template <class Value, class Load>
source_reply<Value> ask_source(Load load) {
    source_reply<Value> reply;
    try {
        auto loaded = load();
        if (loaded) {
            reply.value = std::move(loaded.value());
        } else {
            reply.error = loaded.error().message;
        }
    } catch (const std::exception& e) {
        reply.error = e.what();
    }
    return reply;
}

}  // namespace tds_pool
