#include "gateway/proxy/upstream_registry.hpp"

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

}  // namespace

void upstream_registry::configure(const std::vector<conf::upstream_config>& upstreams,
                                  asio::any_io_executor executor) {
    std::map<std::string, std::shared_ptr<upstream_pool>, std::less<>> next;
    std::vector<std::shared_ptr<upstream_pool>> started;
    {
        std::lock_guard lock(mutex_);
        for (const auto& config : upstreams) {
            auto it = pools_.find(config.name);
            if (it != pools_.end() && same_upstream(it->second->config(), config)) {
                next.emplace(config.name, it->second);
                continue;
            }
            auto pool = std::make_shared<upstream_pool>(config);
            next.emplace(config.name, pool);
            started.push_back(std::move(pool));
        }
        for (auto& [name, pool] : pools_) {
            auto kept = next.find(name);
            if (kept == next.end() || kept->second != pool) pool->stop();
        }
        pools_.swap(next);
    }
    for (auto& pool : started) start_health_checks(std::move(pool), executor);
}

std::shared_ptr<upstream_pool> upstream_registry::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = pools_.find(name);
    return it == pools_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<upstream_pool>> upstream_registry::pools() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<upstream_pool>> out;
    out.reserve(pools_.size());
    for (const auto& [name, pool] : pools_) out.push_back(pool);
    return out;
}

void upstream_registry::close_idle() const {
    for (const auto& pool : pools()) pool->close_idle();
}

}  // namespace gateway
