#include "gateway/proxy/upstream_registry.hpp"

#include <utility>

#include "gateway/proxy/upstream_health.hpp"

namespace gateway {

namespace {

bool same_health(const std::optional<conf::upstream_health_config>& a,
                 const std::optional<conf::upstream_health_config>& b) {
    if (!a || !b) return !a && !b;
    return a->path == b->path && a->interval == b->interval && a->timeout == b->timeout &&
           a->healthy_threshold == b->healthy_threshold &&
           a->unhealthy_threshold == b->unhealthy_threshold;
}

bool same_upstream(const conf::upstream_config& a, const conf::upstream_config& b) {
    return a.servers == b.servers && a.balance == b.balance &&
           a.max_connections_per_server == b.max_connections_per_server &&
           a.max_idle_per_server == b.max_idle_per_server &&
           a.connect_timeout == b.connect_timeout && a.read_timeout == b.read_timeout &&
           a.total_timeout == b.total_timeout && a.preserve_host == b.preserve_host &&
           a.passive_failures == b.passive_failures && same_health(a.health_check, b.health_check);
}

/// True when `set` holds this very pool.
bool holds(const upstream_set& set, const std::shared_ptr<upstream_pool>& pool) {
    const auto it = set.pools().find(pool->name());
    return it != set.pools().end() && it->second == pool;
}

}  // namespace

std::shared_ptr<upstream_pool> upstream_set::find(std::string_view name) const {
    const auto it = pools_.find(name);
    return it == pools_.end() ? nullptr : it->second;
}

std::shared_ptr<const upstream_set> upstream_registry::prepare(
    const std::vector<conf::upstream_config>& upstreams) const {
    std::shared_ptr<const upstream_set> current;
    {
        std::lock_guard lock(mutex_);
        current = current_;
    }
    upstream_set::pool_map next;
    for (const auto& config : upstreams) {
        auto kept = current->find(config.name);
        if (kept && same_upstream(kept->config(), config)) {
            next.emplace(config.name, std::move(kept));
        } else {
            next.emplace(config.name, std::make_shared<upstream_pool>(config));
        }
    }
    return std::make_shared<const upstream_set>(std::move(next));
}

void upstream_registry::commit(std::shared_ptr<const upstream_set> next, asio::any_io_executor executor) {
    std::shared_ptr<const upstream_set> previous;
    {
        std::lock_guard lock(mutex_);
        previous = std::exchange(current_, next);
    }
    for (const auto& [name, pool] : previous->pools()) {
        if (!holds(*next, pool)) pool->stop();
    }
    for (const auto& [name, pool] : next->pools()) {
        if (!holds(*previous, pool)) start_health_checks(pool, executor);
    }
}

std::vector<std::shared_ptr<upstream_pool>> upstream_registry::pools() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<upstream_pool>> out;
    out.reserve(current_->pools().size());
    for (const auto& [name, pool] : current_->pools()) out.push_back(pool);
    return out;
}

void upstream_registry::close_idle() const {
    for (const auto& pool : pools()) pool->close_idle();
}

}  // namespace gateway
