#pragma once
// Everything built from one configuration file. A request takes a snapshot at its start
// and keeps it to the end, so a reload never changes the rules under a running request.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "conf/config.hpp"
#include "gateway/auth_token.hpp"
#include "gateway/client_origin.hpp"
#include "gateway/upstream_registry.hpp"
#include "router/route_table.hpp"
#include "router/tenant_resolver.hpp"

namespace gateway {

/// One loaded configuration with the router objects built from it, immutable.
class runtime_state {
public:
    /// Builds the route table and tenant resolver once for this configuration; `tokens`
    /// are built from its auth keys (null: login and auth routes answer 503); `upstreams`
    /// are the proxy routes' pools of this configuration (null: none).
    explicit runtime_state(conf::config config, std::shared_ptr<const token_authority> tokens = nullptr,
                           std::shared_ptr<const upstream_set> upstreams = nullptr);
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
    /// The SET TEXTSIZE of this configuration's queries (query_text_size), built once.
    std::int32_t text_size() const noexcept { return text_size_; }
    /// The token keys, issuer, ttl and leeway of this configuration; null when none.
    const token_authority* tokens() const noexcept { return tokens_.get(); }
    /// The upstream pools of this configuration, by name.
    const upstream_set& upstreams() const noexcept { return *upstreams_; }
    /// The same, shared: what the upstream registry commits when this state is swapped in.
    const std::shared_ptr<const upstream_set>& upstreams_ptr() const noexcept { return upstreams_; }

private:
    conf::config config_;
    router::route_table routes_;
    router::tenant_resolver tenants_;
    trusted_proxies proxies_;
    std::string vary_;
    std::int32_t text_size_ = 0;
    std::shared_ptr<const token_authority> tokens_;
    std::shared_ptr<const upstream_set> upstreams_;
};

/// Loads and validates a file into a new state, its token keys left unread
/// (--check-config); throws conf::config_error.
std::shared_ptr<const runtime_state> load_runtime_state(const std::string& path);

/// What load_serving_state does when a token key the file names cannot be read.
enum class unreadable_keys {
    serve_without_tokens,  ///< start-up: logged, login and auth routes answer 503
    refuse,                ///< reload: throws, so the running state keeps serving
};

/// A loaded file with its token keys read: what a serving state is built from.
struct serving_config {
    conf::config config;
    std::shared_ptr<const token_authority> tokens;  ///< null: auth off or keys unreadable
};

/// Loads a file and reads its token keys; throws conf::config_error, and
/// std::runtime_error for an unreadable key when `keys` says refuse.
serving_config load_serving_config(const std::string& path, unreadable_keys keys);

/// load_serving_config made into a state without upstream pools (tests).
std::shared_ptr<const runtime_state> load_serving_state(const std::string& path, unreadable_keys keys);

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
