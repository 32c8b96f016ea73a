#include "tds_pool/pool_manager.hpp"

#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/connection_budget.hpp"
#include "tds_pool/inline_io_backoff.hpp"
#include "tds_pool/instance_share.hpp"
#include "tds_pool/open_throttle.hpp"
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
    /// Each tenant's inline I/O backoff, outliving its pools: a pool rebuilt (unused,
    /// retargeted) must not give a database that lies the loop again at a minute.
    std::map<std::string, std::shared_ptr<inline_io_backoff>> inline_backoffs;

    /// `tenant`'s backoff, made on first use (caller holds the mutex).
    std::shared_ptr<inline_io_backoff> backoff_of(const std::string& tenant) {
        auto& kept = inline_backoffs[tenant];
        if (!kept) kept = std::make_shared<inline_io_backoff>();
        return kept;
    }

    /// Forgets the backoffs no pool holds that would start over anyway (caller holds the
    /// mutex): one per tenant ever pooled would otherwise stay for the process's life.
    void forget_idle_backoffs(pool_clock::time_point now) {
        std::erase_if(inline_backoffs, [now](const auto& entry) {
            return entry.second.use_count() == 1 && entry.second->starts_over(now);
        });
    }

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
        registry->forget_idle_backoffs(now);
    }
}

}  // namespace

namespace {

// The global caps name themselves as the rotation key: their remainders land on
// different instances.
std::size_t total_share(const conf::pools_config& config, const conf::cluster_config& cluster) {
    return instance_share(config.max_total_connections, cluster, "max_total_connections");
}

std::size_t per_host_share(const conf::pools_config& config, const conf::cluster_config& cluster) {
    return instance_share(config.max_connections_per_host, cluster, "max_connections_per_host");
}

}  // namespace

pool_manager::pool_manager(asio::io_context& ioc, conf::pools_config config,
                           conf::cluster_config cluster)
    : ioc_(ioc),
      config_(config),
      cluster_(cluster),
      workers_(std::make_shared<asio::thread_pool>(std::max(1U, config.worker_threads))),
      budget_(std::make_shared<connection_budget>(total_share(config, cluster),
                                                  per_host_share(config, cluster))),
      opens_(std::make_shared<open_throttle>(config.max_opening_total)),
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

/// The tenant's own limit (the registry row's), else pools.max_size: all instances' together.
std::size_t cluster_limit(const conf::pools_config& config, const connection_target& target) {
    return target.max_connections ? std::max<std::size_t>(1, *target.max_connections)
                                  : std::max<std::size_t>(1, config.max_size);
}

/// This instance's part of the tenant's limit; 0 when the others hold all of it.
std::size_t cap_for(const conf::pools_config& config, const conf::cluster_config& cluster,
                    const std::string& tenant, const connection_target& target) {
    return instance_share(cluster_limit(config, target), cluster, tenant);
}

/// The refusal of a tenant whose limit leaves this instance no connection.
db_error no_share_error(const std::string& tenant, std::size_t limit,
                        const conf::cluster_config& cluster) {
    db_error error{errc::tenant_db_unavailable,
                   fmt::format("tenant {} may have {} database connections across {} gateway "
                               "instances; this instance ({}) has no share of them, another "
                               "instance serves it",
                               tenant, limit, cluster.instances, cluster.instance_id)};
    error.retry_after = std::chrono::seconds(1);
    return error;
}

/// The settings of one tenant's pool: the `pools:` section with the tenant's own cap.
tenant_pool_settings settings_for(const conf::pools_config& config, std::size_t cap) {
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
    const std::size_t cap = cap_for(config_, cluster_, tenant, target);
    if (cap == 0) {
        return nullptr;  // a reload took this instance's share between refusal() and here
    }
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
    auto pool = std::make_shared<tenant_pool>(ioc_.get_executor(), workers_, budget_, opens_, tenant,
                                              target, settings_for(config_, cap), registry_->backoff_of(tenant));
    pool->start();
    registry_->active.emplace(tenant, pool);
    return pool;
}

void pool_manager::reconfigure(const conf::pools_config& config, const conf::cluster_config& cluster) {
    budget_->set_caps(total_share(config, cluster), per_host_share(config, cluster));
    opens_->set_cap(config.max_opening_total);
    std::lock_guard lock(registry_->mutex);
    const unsigned workers = config_.worker_threads;  // the thread pool is sized once
    config_ = config;
    config_.worker_threads = workers;
    cluster_ = cluster;
    registry_->unused_timeout = config.unused_pool_timeout;
    for (auto it = registry_->active.begin(); it != registry_->active.end();) {
        auto current = it++;
        const std::size_t cap = cap_for(config_, cluster_, current->first, current->second->target());
        if (cap == 0) {
            // another instance holds all of this tenant's connections now
            registry_->retire(current, "no share of the tenant's connections on this instance");
            continue;
        }
        current->second->reconfigure(settings_for(config_, cap));
    }
}

std::optional<db_error> pool_manager::refusal(const std::string& tenant,
                                              const connection_target& target) const {
    std::lock_guard lock(registry_->mutex);
    if (cap_for(config_, cluster_, tenant, target) != 0) return std::nullopt;
    return no_share_error(tenant, cluster_limit(config_, target), cluster_);
}

std::size_t pool_manager::instance_cap(const std::string& tenant,
                                       std::optional<std::size_t> max_connections) const {
    connection_target target;
    target.max_connections = max_connections;
    std::lock_guard lock(registry_->mutex);
    return cap_for(config_, cluster_, tenant, target);
}

instance_caps pool_manager::caps() const {
    std::lock_guard lock(registry_->mutex);
    instance_caps out;
    out.cluster = cluster_;
    out.max_total_connections = total_share(config_, cluster_);
    out.max_connections_per_host = per_host_share(config_, cluster_);
    out.max_opening_total = config_.max_opening_total;
    out.opening_total = opens_->running();
    return out;
}

conf::tls_settings pool_manager::tls_defaults() const {
    std::lock_guard lock(registry_->mutex);
    return config_.tls;
}

asio::awaitable<query_outcome> pool_manager::execute(std::string tenant, connection_target target,
                                                     query q,
                                                     std::chrono::steady_clock::time_point deadline) {
    if (auto refused = refusal(tenant, target)) co_return *refused;
    auto pool = pool_for(tenant, target);
    if (!pool) {
        co_return db_error{errc::pool_closed, "the pool manager is shut down"};
    }
    co_return co_await tenant_pool::execute(std::move(pool), std::move(q), deadline);
}

asio::awaitable<std::optional<db_error>> pool_manager::execute_into(
    std::string tenant, connection_target target, query q,
    std::chrono::steady_clock::time_point deadline, row_sink* sink) {
    std::optional<db_error> error = refusal(tenant, target);
    if (error) {
        co_return error;
    }
    if (auto pool = pool_for(tenant, target)) {
        error = co_await tenant_pool::execute_into(std::move(pool), std::move(q), deadline, sink);
    } else {
        error = db_error{errc::pool_closed, "the pool manager is shut down"};
    }
    co_return error;
}

asio::awaitable<outcome<std::chrono::microseconds>> pool_manager::probe(
    std::string tenant, connection_target target, std::chrono::milliseconds timeout) {
    if (auto refused = refusal(tenant, target)) co_return *refused;
    auto pool = pool_for(tenant, target);
    if (!pool) {
        co_return db_error{errc::pool_closed, "the pool manager is shut down"};
    }
    co_return co_await tenant_pool::probe(std::move(pool), timeout);
}

asio::awaitable<std::optional<outcome<std::chrono::microseconds>>> pool_manager::probe_live(
    std::string tenant, connection_target target, std::chrono::milliseconds timeout) {
    std::optional<outcome<std::chrono::microseconds>> result;
    if (auto pool = existing_pool(tenant, target)) {
        result = co_await tenant_pool::probe(std::move(pool), timeout,
                                             tenant_pool::probe_use::observes_only);
    }
    co_return result;
}

std::shared_ptr<tenant_pool> pool_manager::existing_pool(const std::string& tenant,
                                                         const connection_target& target) const {
    std::lock_guard lock(registry_->mutex);
    const auto it = registry_->active.find(tenant);
    if (registry_->closed || it == registry_->active.end() || it->second->key() != target.key()) {
        return nullptr;
    }
    return it->second;
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
