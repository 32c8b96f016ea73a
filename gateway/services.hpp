#pragma once
// The long-lived objects every connection uses. They outlive the sessions (see the
// server's member order).

namespace gateway {

class state_holder;
class handler_set;
class connection_tracker;
struct health_monitor;
class tenant_backend;
class config_reloader;

/// References a session needs to serve requests.
struct services {
    state_holder& state;
    const handler_set& handlers;
    connection_tracker& connections;
    health_monitor& monitor;  ///< request counters and what /health and /metrics read
    tenant_backend& backend;  ///< registry and pools, for the admin tenants endpoints
    config_reloader& reloader;  ///< POST /admin/config/reload
};

}  // namespace gateway
