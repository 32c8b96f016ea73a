#pragma once
// The long-lived objects every connection uses. They outlive the io_context.

namespace gateway {

class state_holder;
class handler_set;
class connection_tracker;
struct health_monitor;

/// References a session needs to serve requests.
struct services {
    state_holder& state;
    const handler_set& handlers;
    connection_tracker& connections;
    health_monitor& monitor;  ///< request counters and what /health and /metrics read
};

}  // namespace gateway
