#pragma once
// Counting an answered request in the metrics, from its access-log entry: the one call
// every way of answering a request (session, relayed exchange) makes.

#include "gateway/telemetry/access_log.hpp"
#include "gateway/telemetry/metrics_registry.hpp"

namespace gateway {

/// Counts an answered request (called once per response sent). Its route label is the
/// matched route's pattern or the endpoint's path, as the dispatcher decided.
void count_request(metrics_registry& metrics, const access_entry& entry);

/// Counts a request as in flight for as long as it lives.
class request_in_flight {
public:
    /// Counts one more request in flight.
    explicit request_in_flight(metrics_registry& metrics) : metrics_(metrics) { metrics_.request_started(); }
    ~request_in_flight() { metrics_.request_finished(); }
    request_in_flight(const request_in_flight&) = delete;
    request_in_flight& operator=(const request_in_flight&) = delete;

private:
    metrics_registry& metrics_;
};

}  // namespace gateway
