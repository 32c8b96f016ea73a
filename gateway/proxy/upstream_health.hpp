#pragma once
// Active health checks: GET health_check.path on every server of an upstream each
// interval; unhealthy_threshold failures in a row take a server out, healthy_threshold
// passes in a row put it back (upstream_pool::record_check).

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "gateway/proxy/upstream_pool.hpp"

namespace gateway {

/// Starts the check loop of `pool` (if it has a health_check) on a strand of
/// `executor`; the loop ends after pool->stop().
void start_health_checks(std::shared_ptr<upstream_pool> pool, asio::any_io_executor executor);

/// One check: connect, GET `path`, true for a 2xx or 3xx status within `timeout`.
asio::awaitable<bool> check_server(upstream_address address, std::string path,
                                   std::chrono::milliseconds timeout);

}  // namespace gateway
