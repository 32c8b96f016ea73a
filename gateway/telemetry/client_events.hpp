#pragma once
// What clients did to their connections that no request counter shows: the limits that
// cut a slow client (per phase), and the TLS handshakes that failed. Process-wide
// counters: these events are rare next to requests, so one relaxed atomic each is cheap.

#include <cstdint>

#include "gateway/telemetry/metrics_text.hpp"

namespace gateway {

/// Where a client was too slow, and the limit that cut it.
enum class client_phase {
    handshake,  ///< listen.tls.handshake_timeout
    header,     ///< limits.header_timeout, with part of a request received
    body,       ///< limits.read_timeout, reading a request body
    write,      ///< limits.write_timeout, the client not reading its answer
};

/// Counts one connection closed because its client was too slow in `phase`.
void count_client_timeout(client_phase phase) noexcept;

/// Counts one failed TLS handshake (time-outs included).
void count_tls_handshake_failure() noexcept;

/// The counters' /metrics families: tenant_gateway_client_timeouts_total{phase} and
/// tenant_gateway_tls_handshake_failures_total.
void write_client_event_metrics(metrics_writer& writer);

}  // namespace gateway
