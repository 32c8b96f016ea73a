#pragma once
// The tenant registry the gateway asks "where does tenant X live?".
//
// It keeps an immutable snapshot of all tenants (shared_ptr<const registry_snapshot>),
// loaded at start-up and rebuilt by refresh(): on an interval, on SIGHUP, on POST
// /admin/registry/reload (which reaches one instance only), and whenever the source's
// cheap change check, asked every change_poll_interval, says the tenants changed — so an
// UPDATE of the Tenants table reaches every instance within that interval without a
// full load per poll. When a refresh fails the last good snapshot keeps serving and
// status() reports it stale. A failing first load is not fatal: load_at_start() falls
// back to the last-known-good snapshot file (registry.snapshot_file) when there is one,
// and the refresh loop retries with jittered exponential backoff (retry_base..retry_max)
// until a load from the source succeeds. Each successful load rewrites the file.
//
// A code missing from the snapshot triggers one on-demand lookup of that code; callers
// asking for the same code meanwhile wait for that lookup (single flight). Misses are
// remembered for negative_cache_ttl in a cache of at most negative_cache_max codes, and
// new lookups across all codes are rate-limited (max_lookups_per_second, lookup_burst):
// beyond the limit an unknown code is not found without asking, so a spray of random
// codes costs the registry database a bounded number of queries a second.
//
// Sources block (FreeTDS), so they run on the registry's own worker thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "conf/config.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/registry/registry_record.hpp"
#include "tds_pool/registry/registry_source.hpp"
#include "tds_pool/registry/registry_throttle.hpp"

namespace tds_pool {

namespace asio = boost::asio;

/// What a lookup found.
enum class lookup_status {
    found,        ///< `record` is set (it may be inactive)
    not_found,    ///< no such tenant
    unavailable,  ///< unknown here and the registry could not be asked
};

/// Result of tenant_registry::find.
struct lookup_result {
    lookup_status status = lookup_status::not_found;
    std::optional<tenant_record> record;
};

/// Freshness of the registry, for /health and /metrics.
struct registry_status {
    std::string source;             ///< "yaml" or "tds"
    std::string served_from;        ///< where the snapshot came from: "none", "yaml", "tds" or "disk"
    std::size_t tenants = 0;        ///< tenants in the snapshot, inactive included
    bool stale = false;             ///< the last refresh failed
    std::chrono::seconds age{0};    ///< since the snapshot was last loaded successfully
    std::string last_error;         ///< of the last failed refresh, without secrets
    std::size_t negative_cached = 0;
    std::uint64_t loads_ok = 0;      ///< successful loads and refreshes since start
    std::uint64_t loads_failed = 0;  ///< failed refreshes since start
    std::uint64_t checks_unchanged = 0;  ///< change checks that found nothing new
    std::uint64_t checks_changed = 0;    ///< change checks that started a full load
    std::uint64_t checks_failed = 0;     ///< change checks the source could not answer
    std::uint64_t lookups = 0;          ///< on-demand look-ups sent to the source
    std::uint64_t lookups_limited = 0;  ///< unknown codes answered not found by the rate limit
};

/// Result of a refresh: tenant count, or the error.
struct refresh_result {
    bool ok = false;
    std::size_t tenants = 0;
    std::string error;
};

/// Thread-safe registry client; create once, keep alive while the io_context runs.
class tenant_registry {
public:
    using clock = std::chrono::steady_clock;
    /// Called after a refresh with the codes whose database target changed, that were
    /// deactivated or removed: their pools should drain.
    using retarget_callback = std::function<void(const std::vector<std::string>&)>;

    /// Does no I/O; call load_at_start() (or load_initial()) before serving.
    tenant_registry(conf::registry_config config, std::unique_ptr<registry_source> source);
    /// Stops the refresh loop and joins the worker thread.
    ~tenant_registry();
    tenant_registry(const tenant_registry&) = delete;
    tenant_registry& operator=(const tenant_registry&) = delete;

    /// Blocking first load; throws std::runtime_error naming the source on failure.
    void load_initial();
    /// Blocking first load that never throws: on failure it is logged and counted, and
    /// the snapshot file (when configured and valid) serves instead. True when a snapshot
    /// is loaded from either; start() then keeps retrying the source.
    bool load_at_start();

    /// Starts refreshing every refresh_interval (tds source only) on `executor`; while no
    /// load from the source succeeded, or after a failed refresh, retries with backoff.
    void start(asio::any_io_executor executor);
    /// Stops the refresh loop (idempotent).
    void stop();

    /// Installs the callback told about retargeted tenants; call before start().
    void on_retarget(retarget_callback callback);

    /// The current snapshot.
    snapshot_ptr snapshot() const;

    /// The tenant with this upper-case code, asking the source once when unknown.
    asio::awaitable<lookup_result> find(std::string code);

    /// Re-reads every tenant and swaps the snapshot; on failure keeps the old one.
    asio::awaitable<refresh_result> refresh();

    /// Asks the source's cheap change check; refresh() when it says the tenants changed.
    /// A source without one is not asked again until the next full load.
    asio::awaitable<void> check_for_change();

    /// Reads from `source` from now on (a reloaded configuration's `tenants:` list);
    /// the next refresh() uses it. Source calls stay on the worker thread, in order.
    void replace_source(std::unique_ptr<registry_source> source);

    /// Applies a reloaded `registry:` section with the source it names (a new connection
    /// for tds, the new `tenants:` list for yaml; either may replace the other): the
    /// refresh loop restarts with the new interval (a yaml source has none), look-up
    /// limits, back-off and snapshot file change, remembered misses are forgotten. The
    /// current snapshot serves until the new source loads (refresh() loads it now; a
    /// failure is retried with back-off, as at start-up).
    void reconfigure(conf::registry_config config, std::unique_ptr<registry_source> source);

    /// Freshness and error state.
    registry_status status() const;

    /// The configuration in force (a copy: a reload may replace it meanwhile).
    conf::registry_config config() const;

private:
    struct flight;
    struct joined_flight;

    /// Joins or starts the on-demand lookup of `code` (or reports a cached miss).
    joined_flight join_flight(const std::string& code, const asio::any_io_executor& executor);

    void publish(std::vector<tenant_record> records);
    void install(std::shared_ptr<registry_snapshot> next, std::string served_from,
                 clock::time_point loaded);
    void record_failure(const std::string& error);
    bool load_from_snapshot_file();
    void save_snapshot_later(snapshot_ptr snapshot);
    /// The refresh loop's next step: how long it sleeps, then a full load or a change check.
    struct loop_step {
        clock::duration wait{};
        bool full_load = true;
    };
    /// The next step of the refresh loop; nullopt ends it.
    std::optional<loop_step> next_step();
    /// Counts a change check's answer; false when the source has no check.
    bool note_change_answer(const std::optional<change_answer>& answer);
    void remember_miss(const std::string& code, clock::duration ttl);
    std::uint64_t current_generation() const;
    bool recently_missed(const std::string& code);
    asio::awaitable<lookup_result> lead_lookup(std::string code, std::shared_ptr<flight> f);
    /// Records the source's answer for `code` (snapshot, miss cache, log) as a result.
    lookup_result settle_lookup(const std::string& code, std::optional<std::string> error,
                                std::optional<tenant_record> record);
    void finish_flight(const std::string& code, const std::shared_ptr<flight>& f,
                       const lookup_result& result);
    friend asio::awaitable<void> refresh_loop(tenant_registry* registry,
                                              std::shared_ptr<std::atomic<bool>> running,
                                              std::shared_ptr<asio::steady_timer> timer);
    /// Starts the refresh loop for a tds source; the caller holds mutex_.
    void start_loop_locked();
    /// Ends the refresh loop now (its timer cancelled); the caller holds mutex_.
    void stop_loop_locked();

    std::unique_ptr<registry_source> source_;  ///< used on worker_ only (after the first load)
    std::uint64_t source_generation_ = 0;      ///< of source_; worker_ only
    asio::thread_pool worker_{1};  // one thread: sources are single-caller

    mutable std::mutex mutex_;  // guards everything below
    conf::registry_config config_;
    std::string kind_;             ///< the kind of the newest source
    std::uint64_t generation_ = 0;  ///< of the newest source: a load from an older one is dropped
    snapshot_ptr snapshot_;
    clock::time_point last_success_{};
    bool stale_ = false;
    std::uint64_t loads_ok_ = 0;
    std::uint64_t loads_failed_ = 0;
    std::uint64_t checks_unchanged_ = 0;
    std::uint64_t checks_changed_ = 0;
    std::uint64_t checks_failed_ = 0;
    /// The source answered its change check `unsupported`: until its next full load, the
    /// loop waits for refresh_interval only.
    bool change_check_unsupported_ = false;
    bool told_no_change_check_ = false;  ///< logged once per source, not at every load
    std::string last_error_;
    std::map<std::string, clock::time_point> misses_;  ///< code -> until when
    std::map<std::string, std::shared_ptr<flight>> flights_;
    std::string served_from_ = "none";
    lookup_limiter limiter_;
    std::uint64_t lookups_ = 0;
    std::uint64_t lookups_limited_ = 0;
    retry_backoff backoff_;
    std::minstd_rand jitter_;
    retarget_callback retarget_;
    std::shared_ptr<std::atomic<bool>> running_;  ///< the refresh loop runs while *running_
    std::shared_ptr<asio::steady_timer> loop_timer_;  ///< the running loop's wait
    std::optional<asio::any_io_executor> loop_executor_;  ///< set by start()
};

/// The source the configuration asks for (yaml or tds).
std::unique_ptr<registry_source> make_registry_source(const conf::config& config,
                                                      std::shared_ptr<credential_store> secrets);

}  // namespace tds_pool
