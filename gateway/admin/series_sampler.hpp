#pragma once
// Feeds the per-tenant history of /dashboard's charts with what is not a request: once a
// second it samples every pool's busy and idle connections and takes each new probe
// result (its latency, or the failure that starts a "down since"), then prepares the
// next slot so requests seldom have to clear one.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/telemetry/tenant_series.hpp"

namespace gateway {

namespace asio = boost::asio;

class tenant_backend;

/// Samples `backend` into `series` every `period` once started; stops when destroyed.
class series_sampler {
public:
    static constexpr std::chrono::seconds period{1};

    /// Both must outlive the sampler's loop (it ends at the latest when the sampler goes).
    series_sampler(tenant_series& series, tenant_backend& backend) : series_(series), backend_(backend) {}
    ~series_sampler();
    series_sampler(const series_sampler&) = delete;
    series_sampler& operator=(const series_sampler&) = delete;

    /// Starts the loop on `executor` (the first sample at once).
    void start(asio::any_io_executor executor);
    /// One sample at `now` (the loop's step; only one thread may call it at a time).
    void sample(tenant_series::clock::time_point now);

private:
    tenant_series& series_;
    tenant_backend& backend_;
    /// When each tenant's probe result we took was checked, so each result counts once.
    std::map<std::string, std::chrono::system_clock::time_point> probes_seen_;
    std::shared_ptr<std::atomic<bool>> running_;
};

}  // namespace gateway
