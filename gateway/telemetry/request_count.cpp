#include "gateway/telemetry/request_count.hpp"

namespace gateway {

void count_request(metrics_registry& metrics, const access_entry& entry) {
    finished_request done;
    done.tenant = entry.tenant ? std::string_view(*entry.tenant) : std::string_view();
    done.route = entry.route ? std::string_view(*entry.route) : std::string_view();
    done.method = entry.method;
    done.status = entry.status;
    done.finished = std::chrono::steady_clock::now();
    done.elapsed = done.finished - entry.started;
    metrics.record(done);
}

}  // namespace gateway
