#pragma once
// The long-lived objects every connection uses. They outlive the io_context.

#include "gateway/http/tenant_admission.hpp"

namespace gateway {

class state_holder;
class handler_set;
class endpoint_table;
class connection_tracker;
class metrics_registry;

/// References a session needs to serve requests.
struct services {
    state_holder& state;
    const handler_set& handlers;
    const endpoint_table& endpoints;  ///< health, metrics, admin: filled by admin/
    connection_tracker& connections;
    metrics_registry& metrics;        ///< request counters
    tenant_limiter& limiter;          ///< the tenant limits' buckets, kept across reloads
    const tenant_limit_lookup& registry_limits;  ///< the registry's limit columns; may be empty
};

}  // namespace gateway
