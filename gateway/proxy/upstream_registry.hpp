#pragma once
// The upstream pools by name. Each configuration gets its own immutable upstream_set,
// carried by its runtime_state, so a request reaches the upstreams of the configuration
// it started under. A reload prepares the next set before anything changes (a pool whose
// configuration did not change is kept, with its idle connections and health state) and
// commits it when the reload is applied: new pools start their health checks, dropped
// ones stop theirs (requests still using them finish; their connections are not parked).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "conf/config.hpp"
#include "gateway/proxy/upstream_pool.hpp"

namespace gateway {

/// The upstream pools of one configuration by name; immutable.
class upstream_set {
public:
    using pool_map = std::map<std::string, std::shared_ptr<upstream_pool>, std::less<>>;

    upstream_set() = default;
    explicit upstream_set(pool_map pools) : pools_(std::move(pools)) {}

    /// The pool named `name`, or nullptr.
    std::shared_ptr<upstream_pool> find(std::string_view name) const;
    /// Every pool by name.
    const pool_map& pools() const noexcept { return pools_; }

private:
    pool_map pools_;
};

/// The upstream set in force; thread-safe.
class upstream_registry {
public:
    /// The set for `upstreams`: the current set's pools whose configuration is unchanged,
    /// new (not yet started) pools for the others. Changes nothing.
    std::shared_ptr<const upstream_set> prepare(const std::vector<conf::upstream_config>& upstreams) const;

    /// Makes `next` (from prepare) the set in force: its new pools start health checks on
    /// `executor`, the pools it dropped stop theirs.
    void commit(std::shared_ptr<const upstream_set> next, asio::any_io_executor executor);

    /// Every pool of the set in force, for /metrics.
    std::vector<std::shared_ptr<upstream_pool>> pools() const;

    /// Closes every pool's parked connections (at shutdown, before the event loops go).
    void close_idle() const;

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const upstream_set> current_ = std::make_shared<const upstream_set>();
};

}  // namespace gateway
