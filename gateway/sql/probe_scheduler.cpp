#include "gateway/sql/probe_scheduler.hpp"

#include <exception>
#include <set>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "gateway/telemetry/log.hpp"
#include "tds_pool/executor_check.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/registry/registry_client.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// co_spawn completion of probe coroutines: they catch what they expect, so log the rest.
void report_probe_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("health probe failed", {{"error", e.what()}});
    } catch (...) {
        log_error("health probe failed", {{"error", "unknown exception"}});
    }
}

}  // namespace

/// The tenants of one round and the workers still taking from it; touched on `strand`.
struct probe_scheduler::round {
    explicit round(const asio::any_io_executor& on)
        : strand(on), finished(on, asio::steady_timer::time_point::max()) {}
    asio::any_io_executor strand;
    std::vector<tds_pool::tenant_record> todo;
    std::size_t next = 0;
    std::size_t active = 0;
    asio::steady_timer finished;  ///< cancelled by the last worker: the round is over
};

probe_settings probe_settings_from(const conf::health_config& health) {
    probe_settings s;
    s.interval = health.probe_interval;
    s.timeout = health.probe_timeout;
    s.max_concurrent = health.probe_concurrency;
    return s;
}

probe_scheduler::probe_scheduler(tds_pool::pool_manager& pools,
                                 tds_pool::tenant_registry& registry,
                                 tds_pool::credential_store& secrets, probe_settings settings,
                                 std::function<std::chrono::system_clock::time_point()> wall_clock)
    : pools_(pools),
      registry_(registry),
      secrets_(secrets),
      wall_clock_(std::move(wall_clock)),
      settings_(settings) {}

probe_scheduler::~probe_scheduler() { stop(); }

void probe_scheduler::start(asio::any_io_executor executor) {
    stop();
    running_ = std::make_shared<std::atomic<bool>>(true);
    auto strand = asio::make_strand(executor);
    asio::co_spawn(strand, probe_loop(this, strand, running_), report_probe_end);
}

void probe_scheduler::stop() noexcept {
    if (running_) running_->store(false);
}

void probe_scheduler::update(probe_settings settings) {
    std::lock_guard lock(mutex_);
    settings_ = settings;
}

probe_settings probe_scheduler::settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
}

std::map<std::string, probe_result> probe_scheduler::results() const {
    std::lock_guard lock(mutex_);
    return results_;
}

void probe_scheduler::store(const std::string& code, probe_result result) {
    std::lock_guard lock(mutex_);
    results_[code] = std::move(result);
}

asio::awaitable<void> probe_loop(probe_scheduler* self, asio::any_io_executor executor,
                                 std::shared_ptr<std::atomic<bool>> running) {
    asio::steady_timer timer(executor);
    while (running->load()) {
        const auto started = std::chrono::steady_clock::now();
        co_await self->run_round(executor);
        ++self->rounds_;
        if (!running->load()) break;
        timer.expires_at(started + self->settings().interval);
        co_await timer.async_wait(nothrow);
    }
}

asio::awaitable<void> probe_worker(probe_scheduler* self,
                                   std::shared_ptr<probe_scheduler::round> r) {
    TG_ASSERT_ON(r->strand);
    while (r->next < r->todo.size()) {
        auto tenant = r->todo[r->next++];
        co_await self->probe_one(std::move(tenant));
        TG_ASSERT_ON(r->strand);
    }
    if (--r->active == 0) r->finished.cancel();
}

asio::awaitable<void> probe_scheduler::run_round(asio::any_io_executor executor) {
    TG_ASSERT_ON(executor);
    const auto snapshot = registry_.snapshot();
    auto r = std::make_shared<round>(executor);
    std::set<std::string> current;
    if (snapshot) {
        for (const auto& [code, tenant] : snapshot->tenants) {
            if (!tenant.active || !tenant.problem.empty()) continue;  // not served: nothing to probe
            r->todo.push_back(tenant);
            current.insert(code);
        }
    }
    {
        // Tenants removed or deactivated since the last round have no result any more.
        std::lock_guard lock(mutex_);
        std::erase_if(results_, [&](const auto& entry) { return !current.count(entry.first); });
    }
    const auto cfg = settings();
    const std::size_t workers = std::min(std::max<std::size_t>(cfg.max_concurrent, 1),
                                         r->todo.size());
    r->active = workers;
    for (std::size_t i = 0; i < workers; ++i) {
        asio::co_spawn(executor, probe_worker(this, r), report_probe_end);
    }
    // Checked and awaited on the strand with no suspension between: the last worker's
    // cancel either came already (active is 0) or finds this wait pending.
    if (r->active > 0) co_await r->finished.async_wait(nothrow);
}

namespace {

/// Where to connect for `tenant`, or why not (`error`). A plain function: g++ 12
/// mishandles a variant inspected in an if-condition around a co_await.
std::optional<tds_pool::connection_target> probe_target(const tds_pool::tenant_record& tenant,
                                                        const conf::registry_config& config,
                                                        const conf::tls_settings& tls_defaults,
                                                        tds_pool::credential_store& secrets,
                                                        std::string& error) {
    auto resolved = tds_pool::resolve_target(tenant, config, tls_defaults, secrets);
    if (auto* target = std::get_if<tds_pool::connection_target>(&resolved)) {
        return std::move(*target);
    }
    error = "credentials: " + std::get<tds_pool::credential_problem>(resolved).message;
    return std::nullopt;
}

/// The probe outcome as a cached result.
probe_result result_of(const tds_pool::outcome<std::chrono::microseconds>& outcome) {
    probe_result result;
    if (outcome) {
        result.ok = true;
        result.latency = outcome.value();
    } else {
        const auto& error = outcome.error();
        result.error = fmt::format("{}: {}", tds_pool::code_name(error.code), error.message);
    }
    return result;
}

}  // namespace

asio::awaitable<void> probe_scheduler::probe_one(tds_pool::tenant_record tenant) {
    probe_result result;
    auto target = probe_target(tenant, registry_.config(), pools_.tls_defaults(), secrets_, result.error);
    const bool resolved = target.has_value();
    if (resolved) {
        const auto timeout = settings().timeout;
        std::string code = tenant.code;
        tds_pool::connection_target where = std::move(*target);
        // An unexpected failure must not end the worker: the round would never finish.
        try {
            result = co_await probe_target_of(std::move(code), std::move(where), timeout);
        } catch (const std::exception& e) {
            result.error = std::string("probe failed: ") + e.what();
        }
    }
    result.checked_at = wall_clock_();
    store(tenant.code, std::move(result));
}

asio::awaitable<probe_result> probe_scheduler::probe_target_of(std::string code,
                                                               tds_pool::connection_target where,
                                                               std::chrono::milliseconds timeout) {
    probe_result result;
    if (pools_.caps().cluster.instances <= 1) {
        auto outcome = co_await pools_.probe(std::move(code), std::move(where), timeout);
        result = result_of(outcome);
        co_return result;
    }
    auto outcome = co_await pools_.probe_live(std::move(code), std::move(where), timeout);
    if (outcome) {
        result = result_of(*outcome);
    } else {
        result.elsewhere = true;
    }
    co_return result;
}

}  // namespace gateway
