#include "gateway/telemetry/client_events.hpp"

#include <array>
#include <atomic>
#include <string_view>

namespace gateway {

namespace {

constexpr std::array<std::string_view, 4> phase_names = {"handshake", "header", "body", "write"};

std::array<std::atomic<std::uint64_t>, phase_names.size()> timeouts{};
std::atomic<std::uint64_t> handshake_failures{0};

}  // namespace

void count_client_timeout(client_phase phase) noexcept {
    timeouts[static_cast<std::size_t>(phase)].fetch_add(1, std::memory_order_relaxed);
}

void count_tls_handshake_failure() noexcept { handshake_failures.fetch_add(1, std::memory_order_relaxed); }

void write_client_event_metrics(metrics_writer& writer) {
    writer.family("tenant_gateway_client_timeouts_total",
                  "Client connections closed because the client was too slow: TLS handshake, "
                  "request header, request body, or reading the answer",
                  "counter");
    for (std::size_t i = 0; i < phase_names.size(); ++i) {
        writer.sample("tenant_gateway_client_timeouts_total", {{"phase", phase_names[i]}},
                      static_cast<double>(timeouts[i].load(std::memory_order_relaxed)));
    }
    writer.family("tenant_gateway_tls_handshake_failures_total",
                  "TLS handshakes with clients that failed (time-outs included)", "counter");
    writer.sample("tenant_gateway_tls_handshake_failures_total", {},
                  static_cast<double>(handshake_failures.load(std::memory_order_relaxed)));
}

}  // namespace gateway
