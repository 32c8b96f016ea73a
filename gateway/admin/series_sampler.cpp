#include "gateway/admin/series_sampler.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/sql/tenant_backend.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

std::uint32_t clamp32(std::size_t n) { return static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX)); }

asio::awaitable<void> sample_loop(series_sampler* self, asio::any_io_executor executor,
                                  std::shared_ptr<std::atomic<bool>> running) {
    asio::steady_timer timer(executor);
    auto next = std::chrono::steady_clock::now();
    while (running->load()) {
        self->sample(std::chrono::steady_clock::now());
        next += series_sampler::period;
        timer.expires_at(next);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

void report_sampler_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("dashboard sampler stopped", {{"error", e.what()}});
    }
}

}  // namespace

series_sampler::~series_sampler() {
    if (running_) running_->store(false);
}

void series_sampler::start(asio::any_io_executor executor) {
    running_ = std::make_shared<std::atomic<bool>>(true);
    asio::co_spawn(executor, sample_loop(this, executor, running_), report_sampler_end);
}

void series_sampler::sample(tenant_series::clock::time_point now) {
    for (const auto& pool : backend_.pools().snapshot()) {
        if (pool.draining) continue;  // its replacement is sampled under the same code
        series_.record_pool(pool.tenant, clamp32(pool.busy), clamp32(pool.idle), now);
    }
    const auto results = backend_.probes().results();
    for (const auto& [code, result] : results) {
        auto& seen = probes_seen_[code];
        if (seen == result.checked_at) continue;
        seen = result.checked_at;
        const auto checked_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(result.checked_at.time_since_epoch()).count();
        std::optional<std::chrono::microseconds> latency;
        if (result.ok) latency = result.latency.value_or(std::chrono::microseconds{0});
        series_.record_probe(code, latency, checked_ms, now);
    }
    // Tenants no longer probed (left the registry) are forgotten here too.
    std::erase_if(probes_seen_, [&](const auto& entry) { return !results.contains(entry.first); });
    series_.rotate(now);
}

}  // namespace gateway
