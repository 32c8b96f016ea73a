#pragma once
// The upstream pools by name. Built at start-up and rebuilt on reload: a pool whose
// configuration did not change is kept (with its idle connections and health state),
// the others are replaced and their health checks stopped.

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

/// Named upstream pools shared by all connections.
class upstream_registry {
public:
    /// Makes the pools match `upstreams`; health checks run on `executor`.
    void configure(const std::vector<conf::upstream_config>& upstreams,
                   asio::any_io_executor executor);

    /// The pool named `name`, or nullptr.
    std::shared_ptr<upstream_pool> find(std::string_view name) const;

    /// Every pool, for /metrics.
    std::vector<std::shared_ptr<upstream_pool>> pools() const;

    /// Closes every pool's parked connections (at shutdown, before the event loops go).
    void close_idle() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<upstream_pool>, std::less<>> pools_;
};

}  // namespace gateway
