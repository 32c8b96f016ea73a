#include "tds_pool/pool_manager.hpp"

#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/connection_budget.hpp"
#include "tds_pool/pool_log.hpp"
#include "tds_pool/tenant_pool.hpp"

namespace tds_pool {

/// The pools by tenant plus the draining ones; shared with the sweeper coroutine.
struct pool_registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<tenant_pool>> active;
    std::vector<std::shared_ptr<tenant_pool>> draining;
    std::shared_ptr<asio::steady_timer> sweep_timer;
    std::chrono::milliseconds unused_timeout{600'000};  ///< pools.unused_pool_timeout
    bool closed = false;

    /// Moves `tenant`'s pool to the draining list (caller holds the mutex).
    void retire(std::map<std::string, std::shared_ptr<tenant_pool>>::iterator it, const char* why) {
        log_line(fmt::format("tenant {}: pool draining ({})", it->first, why));
        it->second->drain();
        draining.push_back(std::move(it->second));
        active.erase(it);
    }
};

namespace {

// Closes pools unused for unused_pool_timeout and forgets drained ones, once a second.
asio::awaitable<void> sweep_loop(std::weak_ptr<pool_registry> weak,
                                 std::shared_ptr<asio::steady_timer> timer) {
    for (;;) {
        timer->expires_after(std::chrono::seconds(1));
        boost::system::error_code ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        auto registry = weak.lock();
        if (!registry) {
            co_return;
        }
        std::lock_guard lock(registry->mutex);
        if (registry->closed && registry->draining.empty()) {
            co_return;
        }
        const auto now = pool_clock::now();
        for (auto it = registry->active.begin(); it != registry->active.end();) {
            auto current = it++;
            if (now - current->second->last_used() >= registry->unused_timeout) {
                registry->retire(current, "unused");
            }
        }
        std::erase_if(registry->draining, [](const auto& pool) { return pool->drained(); });
    }
}

}  // namespace

pool_manager::pool_manager(asio::io_context& ioc, conf::pools_config config)
    : ioc_(ioc),
      config_(config),
      workers_(std::make_shared<asio::thread_pool>(std::max(1U, config.worker_threads))),
      budget_(std::make_shared<connection_budget>(config.max_total_connections,
                                                  config.max_connections_per_host)),
      registry_(std::make_shared<pool_registry>()) {
    detail::ensure_freetds_initialized();
    start_sweeper();
}

pool_manager::~pool_manager() {
    shutdown();
    // Running FreeTDS calls finish; their completions are posted to the io_context.
    workers_->join();
}

void pool_manager::start_sweeper() {
    registry_->sweep_timer = std::make_shared<asio::steady_timer>(ioc_);
    registry_->unused_timeout = config_.unused_pool_timeout;
    asio::co_spawn(ioc_, sweep_loop(registry_, registry_->sweep_timer),
                   [](std::exception_ptr e) {
                       if (e) {
                           log_line(log_severity::error, "pool sweeper stopped by an exception");
                       }
                   });
}

namespace {

/// The tenant's own cap (the registry row's), else pools.max_size.
std::size_t cap_for(const conf::pools_config& config, const connection_target& target) {
    return target.max_connections ? std::max<std::size_t>(1, *target.max_connections)
                                  : std::max<std::size_t>(1, config.max_size);
}

/// The settings of one tenant's pool: the `pools:` section with the tenant's own cap.
tenant_pool_settings settings_for(const conf::pools_config& config, const connection_target& target) {
    const std::size_t cap = cap_for(config, target);
    auto settings = tenant_pool_settings::from_config(config);
    settings.limits.max_size = cap;
    settings.limits.min_size = std::min(settings.limits.min_size, cap);
    return settings;
}

}  // namespace

std::shared_ptr<tenant_pool> pool_manager::pool_for(const std::string& tenant,
                                                    const connection_target& target) {
    std::lock_guard lock(registry_->mutex);
    if (registry_->closed) {
        return nullptr;
    }
    const std::size_t cap = cap_for(config_, target);
    auto it = registry_->active.find(tenant);
    if (it != registry_->active.end()) {
        if (it->second->key() == target.key()) {
            // The cap is part of the target: a registry row's change applies live.
            if (it->second->max_size() != cap) it->second->resize(cap);
            return it->second;
        }
        // Server, database, user or secret changed: new pool, the old one drains.
        registry_->retire(it, "connection target changed");
    }
    auto pool = std::make_shared<tenant_pool>(ioc_.get_executor(), workers_, budget_, tenant,
                                              target, settings_for(config_, target));
    pool->start();
    registry_->active.emplace(tenant, pool);
    return pool;
}

void pool_manager::reconfigure(const conf::pools_config& config) {
    budget_->set_caps(config.max_total_connections, config.max_connections_per_host);
    std::lock_guard lock(registry_->mutex);
    const unsigned workers = config_.worker_threads;  // the thread pool is sized once
    config_ = config;
    config_.worker_threads = workers;
    registry_->unused_timeout = config.unused_pool_timeout;
    for (const auto& [tenant, pool] : registry_->active) {
        pool->reconfigure(settings_for(config_, pool->target()));
    }
}

conf::tls_settings pool_manager::tls_defaults() const {
    std::lock_guard lock(registry_->mutex);
    return config_.tls;
}

asio::awaitable<query_outcome> pool_manager::execute(std::string tenant, connection_target target,
                                                     query q,
                                                     std::chrono::steady_clock::time_point deadline) {
    auto pool = pool_for(tenant, target);
    if (!pool) {
        co_return db_error{errc::pool_closed, "the pool manager is shut down"};
    }
    co_return co_await tenant_pool::execute(std::move(pool), std::move(q), deadline);
}

asio::awaitable<std::optional<db_error>> pool_manager::execute_into(
    std::string tenant, connection_target target, query q,
    std::chrono::steady_clock::time_point deadline, row_sink* sink) {
    std::optional<db_error> error;
    if (auto pool = pool_for(tenant, target)) {
        error = co_await tenant_pool::execute_into(std::move(pool), std::move(q), deadline, sink);
    } else {
        error = db_error{errc::pool_closed, "the pool manager is shut down"};
    }
    co_return error;
}

asio::awaitable<outcome<std::chrono::microseconds>> pool_manager::probe(
    std::string tenant, connection_target target, std::chrono::milliseconds timeout) {
    auto pool = pool_for(tenant, target);
    if (!pool) {
        co_return db_error{errc::pool_closed, "the pool manager is shut down"};
    }
    co_return co_await tenant_pool::probe(std::move(pool), timeout);
}

std::vector<pool_snapshot> pool_manager::snapshot() const {
    std::lock_guard lock(registry_->mutex);
    std::vector<pool_snapshot> out;
    for (const auto& [tenant, pool] : registry_->active) {
        out.push_back(pool->snapshot());
    }
    for (const auto& pool : registry_->draining) {
        out.push_back(pool->snapshot());
    }
    return out;
}

std::size_t pool_manager::active_pools() const {
    std::lock_guard lock(registry_->mutex);
    return registry_->active.size();
}

void pool_manager::close_tenant(const std::string& tenant) {
    std::lock_guard lock(registry_->mutex);
    if (auto it = registry_->active.find(tenant); it != registry_->active.end()) {
        registry_->retire(it, "closed by request");
    }
}

void pool_manager::shutdown() {
    std::lock_guard lock(registry_->mutex);
    registry_->closed = true;
    while (!registry_->active.empty()) {
        registry_->retire(registry_->active.begin(), "shutdown");
    }
}

}  // namespace tds_pool
