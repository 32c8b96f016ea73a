#pragma once
// Everything built from one configuration file. A request takes a snapshot at its start
// and keeps it to the end, so a reload never changes the rules under a running request.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "conf/config.hpp"
#include "gateway/http/access_gate.hpp"
#include "gateway/http/client_origin.hpp"
#include "router/route_table.hpp"
#include "router/tenant_resolver.hpp"

namespace gateway {

class token_authority;  // auth/token_authority.hpp: login routes sign with it
class upstream_set;     // proxy/upstream_registry.hpp: the proxy routes' pools

/// One loaded configuration with the router objects built from it, immutable.
class runtime_state {
public:
    /// What a configuration brings besides its file: built by app/state_loader.
    struct parts {
        std::shared_ptr<const access_gate> gate;       ///< never null
        std::shared_ptr<const token_authority> tokens;  ///< null: login answers 503
        std::int32_t text_size = 0;                     ///< see sql/query_text_size
        std::shared_ptr<const upstream_set> upstreams;  ///< never null
    };

    /// Builds the route table and tenant resolver once for this configuration.
    runtime_state(conf::config config, parts extra);
    runtime_state(const runtime_state&) = delete;
    runtime_state& operator=(const runtime_state&) = delete;

    /// The configuration as loaded.
    const conf::config& config() const noexcept { return config_; }
    /// Routes of this configuration.
    const router::route_table& routes() const noexcept { return routes_; }
    /// Tenant resolution of this configuration.
    const router::tenant_resolver& tenants() const noexcept { return tenants_; }
    /// The proxies whose forwarding fields are believed.
    const trusted_proxies& proxies() const noexcept { return proxies_; }
    /// The Vary value of the gateway's own responses: Authorization and the tenant header.
    const std::string& vary() const noexcept { return vary_; }
    /// The `tenants:` entry of this code (its limit overrides), or nullptr.
    const conf::tenant_config* tenant_entry(std::string_view code) const;
    /// The SET TEXTSIZE of this configuration's queries (query_text_size), built once.
    std::int32_t text_size() const noexcept { return text_size_; }
    /// The token keys, issuer, ttl and leeway of this configuration; null when none.
    const token_authority* tokens() const noexcept { return tokens_.get(); }
    /// Verifies bearer tokens and decides 401/403/503 (auth/route_access).
    const access_gate& gate() const noexcept { return *gate_; }
    /// The upstream pools of this configuration, by name: a request reaches the
    /// upstreams of the configuration it started under.
    const upstream_set& upstreams() const noexcept { return *upstreams_; }
    /// The same, shared: what the upstream registry commits when this state is swapped in.
    const std::shared_ptr<const upstream_set>& upstreams_ptr() const noexcept { return upstreams_; }

private:
    conf::config config_;
    router::route_table routes_;
    router::tenant_resolver tenants_;
    trusted_proxies proxies_;
    std::string vary_;
    std::unordered_map<std::string_view, const conf::tenant_config*> tenant_entries_;  ///< into config_
    std::int32_t text_size_ = 0;
    std::shared_ptr<const token_authority> tokens_;
    std::shared_ptr<const access_gate> gate_;
    std::shared_ptr<const upstream_set> upstreams_;
};

/// The state new requests use; swapped whole on reload.
class state_holder {
public:
    /// Starts with an already loaded state.
    explicit state_holder(std::shared_ptr<const runtime_state> initial);

    /// A snapshot to use for one request or one connection step.
    std::shared_ptr<const runtime_state> get() const;

    /// Makes `next` the state of every request that starts from now on.
    void set(std::shared_ptr<const runtime_state> next);

private:
    mutable std::mutex mutex_;  // held only to copy or swap the pointer
    std::shared_ptr<const runtime_state> current_;
};

}  // namespace gateway
