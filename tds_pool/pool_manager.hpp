#pragma once
// The gateway's entry point to tenant databases.
//
//   tds_pool::pool_manager pools(ioc, config.pools);
//   // in a coroutine on an HTTP I/O thread:
//   tds_pool::query q{"SELECT * FROM Users WHERE Username = @username",
//                     {{"username", tds_pool::param_type::string, std::string(name)}}};
//   auto out = co_await pools.execute("ACME", target, std::move(q), deadline);
//   // Pass named objects, not braced temporaries, inside a co_await: g++ 12 destroys
//   // such temporaries twice.
//   if (!out) { map out.error().code (errc) to a status; out.error().retry_after for 503 }
//   else { out.value().sets[0].columns / rows -> JSON }
//
// One pool per tenant, created on first use and keyed by the target (server, port,
// database, user, credential fingerprint): a changed target starts a new pool and the
// old one drains. Pools unused for unused_pool_timeout are closed. Nothing here blocks
// the calling thread; FreeTDS runs on pools.worker_threads worker threads.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "tds_pool/connection_target.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/pool_stats.hpp"
#include "tds_pool/row_sink.hpp"
#include "tds_pool/sql_value.hpp"

namespace tds_pool {

namespace asio = boost::asio;

class tenant_pool;
class connection_budget;
class open_throttle;
struct pool_registry;

/// This instance's caps after the split across the cluster, for /health and /metrics.
struct instance_caps {
    conf::cluster_config cluster;
    std::size_t max_total_connections = 0;     ///< this instance's share of pools.max_total_connections
    std::size_t max_connections_per_host = 0;  ///< its share of pools.max_connections_per_host
    std::size_t max_opening_total = 0;         ///< pools.max_opening_total (per instance, not split)
    std::size_t opening_total = 0;             ///< connections being opened now, all pools
};

/// Result of pool_manager::execute: the row sets, or a db_error with its errc code,
/// the server's error (number, severity, state, message) and a retry-after.
using query_outcome = outcome<query_result>;

/// Per-tenant FreeTDS pools behind one facade; thread-safe.
class pool_manager {
public:
    /// Pools on strands of `ioc`, with `config.worker_threads` workers for FreeTDS. Every
    /// tenant's limit and the global caps are this instance's share of them in `cluster`
    /// (tds_pool/instance_share.hpp).
    pool_manager(asio::io_context& ioc, conf::pools_config config,
                 conf::cluster_config cluster = {});
    /// Shuts down and joins the workers (waits for running FreeTDS calls to return).
    ~pool_manager();
    pool_manager(const pool_manager&) = delete;
    pool_manager& operator=(const pool_manager&) = delete;

    /// Runs `q` on `tenant`'s pool for `target`, finishing by `deadline` (acquire wait
    /// plus query time; the query time-out is the smaller of q.timeout or
    /// pools.query_timeout and the time left).
    asio::awaitable<query_outcome> execute(std::string tenant, connection_target target, query q,
                                           std::chrono::steady_clock::time_point deadline);

    /// execute handing rows to `sink` as they are read instead of keeping them all (see
    /// tenant_pool::execute_into); the connection is back in the pool when this completes.
    asio::awaitable<std::optional<db_error>> execute_into(std::string tenant, connection_target target,
                                                          query q,
                                                          std::chrono::steady_clock::time_point deadline,
                                                          row_sink* sink);

    /// Health check: SELECT 1 on a pooled connection of the tenant within `timeout`;
    /// the latency, or the error. Recorded in the snapshot (last probe latency and time).
    asio::awaitable<outcome<std::chrono::microseconds>> probe(std::string tenant,
                                                              connection_target target,
                                                              std::chrono::milliseconds timeout);

    /// probe without creating or keeping a pool: runs only when this instance already
    /// holds a live pool of the tenant for `target`, and leaves it closing when unused.
    /// Nothing (no value) when there is no such pool. In a cluster each instance probes
    /// only the tenants it serves, so the probes open no connection of their own.
    asio::awaitable<std::optional<outcome<std::chrono::microseconds>>> probe_live(
        std::string tenant, connection_target target, std::chrono::milliseconds timeout);

    /// One snapshot per live pool (draining ones included, flagged), for /health and /metrics.
    std::vector<pool_snapshot> snapshot() const;
    /// Pools serving tenants now (draining ones excluded): /health "activePools".
    std::size_t active_pools() const;
    /// Applies a reloaded `pools:` section (worker_threads excepted: the workers stay):
    /// live pools take the new limits, timeouts and breaker settings (a smaller max_size
    /// closes surplus idle connections now and busy ones when released), pools created
    /// later start with them, and the global caps and the unused-pool timeout change.
    /// A new `cluster` changes every share the same way (a tenant left with none drains).
    void reconfigure(const conf::pools_config& config, const conf::cluster_config& cluster);
    /// This instance's connection cap for `tenant` (its registry MaxConnections, none:
    /// pools.max_size); 0 when the other instances hold all of it.
    std::size_t instance_cap(const std::string& tenant, std::optional<std::size_t> max_connections) const;
    /// The cluster placement and this instance's global caps.
    instance_caps caps() const;
    /// pools.encrypt, trust_server_certificate and ca_file as last configured: the TLS
    /// settings of every tenant that names none of its own.
    conf::tls_settings tls_defaults() const;
    /// Drains and forgets the tenant's pool (e.g. tenant deactivated); no-op if none.
    void close_tenant(const std::string& tenant);
    /// Drains every pool; later calls to execute fail with pool_closed.
    void shutdown();

private:
    std::shared_ptr<tenant_pool> pool_for(const std::string& tenant, const connection_target& target);
    /// The tenant's live pool for `target` if there is one; never creates one.
    std::shared_ptr<tenant_pool> existing_pool(const std::string& tenant,
                                               const connection_target& target) const;
    /// tenant_db_unavailable when this instance has no share of the tenant's connections.
    std::optional<db_error> refusal(const std::string& tenant, const connection_target& target) const;
    void start_sweeper();

    asio::io_context& ioc_;
    conf::pools_config config_;  ///< guarded by the pool registry's mutex
    conf::cluster_config cluster_;  ///< guarded by the pool registry's mutex
    std::shared_ptr<asio::thread_pool> workers_;
    std::shared_ptr<connection_budget> budget_;
    std::shared_ptr<open_throttle> opens_;
    std::shared_ptr<pool_registry> registry_;
};

}  // namespace tds_pool
