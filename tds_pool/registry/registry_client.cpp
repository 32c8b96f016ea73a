#include "tds_pool/registry/registry_client.hpp"

#include <atomic>
#include <exception>
#include <stdexcept>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"
#include "tds_pool/registry/registry_snapshot_file.hpp"

namespace tds_pool {

namespace {

void registry_log(std::string_view code, std::string_view message) {
    log_line(fmt::format("registry tenant={} {}", code, message));
}

/// Once per load of a row: the operator sees why a tenant is refused before a request does.
void log_row_problem(const tenant_record& record) {
    if (record.problem.empty()) return;
    registry_log(record.code.empty() ? "-" : record.code, "row not served: " + record.problem);
}

/// How long a lookup that failed because the registry was unreachable is remembered:
/// short, so a recovered registry is asked again soon.
constexpr tenant_registry::clock::duration unavailable_ttl = std::chrono::seconds(2);

/// The result of a blocking source call, default-constructible for co_spawn.
struct load_reply {
    std::optional<std::string> error;
    std::vector<tenant_record> records;
    std::uint64_t generation = 0;  ///< of the source that answered
};

struct one_reply {
    std::optional<std::string> error;
    std::optional<tenant_record> record;
};

// The source is dereferenced on the worker: replace_source swaps it there too.
asio::awaitable<load_reply> load_all_on_worker(const std::unique_ptr<registry_source>* source,
                                               const std::uint64_t* generation) {
    load_reply reply;
    reply.generation = *generation;
    try {
        auto loaded = (*source)->load_all();
        if (loaded) {
            reply.records = std::move(loaded.value());
        } else {
            reply.error = loaded.error().message;
        }
    } catch (const std::exception& e) {
        reply.error = e.what();
    }
    co_return reply;
}

asio::awaitable<one_reply> load_one_on_worker(const std::unique_ptr<registry_source>* source,
                                              std::string code) {
    one_reply reply;
    try {
        auto loaded = (*source)->load_one(code);
        if (loaded) {
            reply.record = std::move(loaded.value());
        } else {
            reply.error = loaded.error().message;
        }
    } catch (const std::exception& e) {
        reply.error = e.what();
    }
    co_return reply;
}

/// True when a tenant served before must no longer be: deactivated or its row now invalid.
bool withdrawn(const tenant_record& before, const tenant_record& now) {
    return (before.active && !now.active) || (before.problem.empty() && !now.problem.empty());
}

/// Codes whose pools must drain when `next` replaces `previous`.
std::vector<std::string> retargeted(const registry_snapshot& previous, const registry_snapshot& next) {
    std::vector<std::string> out;
    for (const auto& [code, old] : previous.tenants) {
        const tenant_record* now = next.find(code);
        if (now == nullptr || !now->same_target(old) || withdrawn(old, *now)) {
            out.push_back(code);
        }
    }
    return out;
}

/// Hands one lookup result to one waiting caller (one slot: the send never blocks).
using lookup_channel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, lookup_result)>;

}  // namespace

/// Callers waiting for one on-demand lookup; each has its own one-slot channel.
struct tenant_registry::flight {
    std::vector<std::shared_ptr<lookup_channel>> waiters;
};

/// A caller's place in an on-demand lookup: a cached miss, the leader, or a waiter.
struct tenant_registry::joined_flight {
    bool missed = false;
    lookup_status miss = lookup_status::not_found;  ///< the answer when missed
    std::shared_ptr<flight> lead;
    std::shared_ptr<lookup_channel> wait;
};

tenant_registry::tenant_registry(conf::registry_config config, std::unique_ptr<registry_source> source)
    : source_(std::move(source)),
      config_(std::move(config)),
      kind_(source_->kind()),
      snapshot_(std::make_shared<registry_snapshot>()),
      limiter_(config_.max_lookups_per_second, config_.lookup_burst, clock::now()),
      backoff_(config_.retry_base, config_.retry_max),
      jitter_(std::random_device{}()) {}

tenant_registry::~tenant_registry() {
    stop();
    worker_.join();
}

conf::registry_config tenant_registry::config() const {
    std::lock_guard lock(mutex_);
    return config_;
}

void tenant_registry::load_initial() {
    auto loaded = source_->load_all();
    if (!loaded) {
        throw std::runtime_error(std::string("cannot load the tenant registry (") + source_->kind() +
                                 "): " + loaded.error().message);
    }
    publish(std::move(loaded.value()));
}

bool tenant_registry::load_at_start() {
    std::string error;
    try {
        auto loaded = source_->load_all();
        if (loaded) {
            publish(std::move(loaded.value()));
            return true;
        }
        error = loaded.error().message;
    } catch (const std::exception& e) {
        error = e.what();
    }
    record_failure(error);
    registry_log("-", "first load failed (" + status().source + "), retrying in the background: " + error);
    return load_from_snapshot_file();
}

bool tenant_registry::load_from_snapshot_file() {
    const std::string path = config().snapshot_file;
    if (path.empty()) return false;
    snapshot_file_read read = load_snapshot_file(path);
    if (!read.snapshot) {
        registry_log("-", "snapshot file not used: " + read.error);
        return false;
    }
    auto next = std::make_shared<registry_snapshot>(std::move(*read.snapshot));
    const auto saved_ago = std::max(std::chrono::system_clock::now() - next->loaded_at,
                                    std::chrono::system_clock::duration::zero());
    const auto tenants = next->tenants.size();
    install(std::move(next), "disk", clock::now() - std::chrono::duration_cast<clock::duration>(saved_ago));
    registry_log("-", fmt::format("serving {} tenants from the snapshot file {} saved {}s ago", tenants,
                                  path,
                                  std::chrono::duration_cast<std::chrono::seconds>(saved_ago).count()));
    return true;
}

void tenant_registry::save_snapshot_later(snapshot_ptr snapshot) {
    std::string path = config().snapshot_file;
    if (path.empty()) return;
    // on the worker: file I/O and fsync stay off the HTTP threads, saves stay in order
    asio::post(worker_, [path = std::move(path), snapshot = std::move(snapshot)] {
        if (auto error = save_snapshot_file(path, *snapshot)) {
            registry_log("-", "snapshot file not written: " + *error);
        }
    });
}

void tenant_registry::record_failure(const std::string& error) {
    std::lock_guard lock(mutex_);
    stale_ = true;
    ++loads_failed_;
    last_error_ = error;
}

void tenant_registry::on_retarget(retarget_callback callback) {
    std::lock_guard lock(mutex_);
    retarget_ = std::move(callback);
}

snapshot_ptr tenant_registry::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void tenant_registry::publish(std::vector<tenant_record> records) {
    auto next = std::make_shared<registry_snapshot>();
    for (auto& record : records) {
        log_row_problem(record);
        if (record.code.empty()) {
            ++next->rows_without_code;
            continue;
        }
        next->tenants[record.code] = std::move(record);
    }
    next->loaded_at = std::chrono::system_clock::now();
    save_snapshot_later(next);
    install(std::move(next), status().source, clock::now());
}

void tenant_registry::install(std::shared_ptr<registry_snapshot> next, std::string served_from,
                              clock::time_point loaded) {
    std::vector<std::string> changed;
    retarget_callback notify;
    {
        std::lock_guard lock(mutex_);
        const bool from_source = served_from == kind_;
        changed = retargeted(*snapshot_, *next);
        for (const auto& [code, record] : next->tenants) misses_.erase(code);
        snapshot_ = std::move(next);
        served_from_ = std::move(served_from);
        last_success_ = loaded;
        stale_ = !from_source;  // a disk copy is stale until the source answers
        if (from_source) {
            ++loads_ok_;
            last_error_.clear();
            backoff_.reset();
        }
        notify = retarget_;
    }
    for (const auto& code : changed) {
        registry_log(code, "tenant moved, deactivated or removed: its pool drains");
    }
    if (notify && !changed.empty()) notify(changed);
}

asio::awaitable<refresh_result> tenant_registry::refresh() {
    load_reply reply = co_await asio::co_spawn(worker_, load_all_on_worker(&source_, &source_generation_),
                                               asio::use_awaitable);
    refresh_result out;
    if (reply.generation != current_generation()) {
        // a reload replaced the source meanwhile: the new source's load decides
        out.error = "the registry source was replaced during the load";
        co_return out;
    }
    if (reply.error) {
        record_failure(*reply.error);
        out.error = *reply.error;
        const bool loaded = snapshot()->loaded_at != std::chrono::system_clock::time_point{};
        registry_log("-", std::string(loaded ? "refresh failed, keeping the last good copy: "
                                             : "load failed, no snapshot to serve yet: ") +
                              *reply.error);
        co_return out;
    }
    out.ok = true;
    out.tenants = reply.records.size();
    publish(std::move(reply.records));
    co_return out;
}

void tenant_registry::remember_miss(const std::string& code, clock::duration ttl) {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    if (misses_.size() >= config_.negative_cache_max) {
        std::erase_if(misses_, [&](const auto& entry) { return entry.second <= now; });
    }
    if (misses_.size() >= config_.negative_cache_max && !misses_.empty()) {
        // still full of live entries: drop one to stay bounded
        misses_.erase(misses_.begin());
    }
    if (config_.negative_cache_max > 0) misses_[code] = now + ttl;
}

bool tenant_registry::recently_missed(const std::string& code) {
    const auto found = misses_.find(code);
    if (found == misses_.end()) return false;
    if (found->second > clock::now()) return true;
    misses_.erase(found);
    return false;
}

tenant_registry::joined_flight tenant_registry::join_flight(const std::string& code,
                                                           const asio::any_io_executor& executor) {
    joined_flight out;
    std::lock_guard lock(mutex_);
    if (recently_missed(code)) {
        out.missed = true;
        return out;
    }
    if (const auto found = flights_.find(code); found != flights_.end()) {
        out.wait = std::make_shared<lookup_channel>(executor, 1);
        found->second->waiters.push_back(out.wait);
        return out;
    }
    // a new look-up costs the registry a query: beyond the rate the snapshot answers
    if (!limiter_.try_take(clock::now())) {
        ++lookups_limited_;
        out.missed = true;
        // with no snapshot at all there is nothing to say "not found" from
        const bool none = snapshot_->loaded_at == std::chrono::system_clock::time_point{};
        if (none) out.miss = lookup_status::unavailable;
        return out;
    }
    ++lookups_;
    out.lead = std::make_shared<flight>();
    flights_[code] = out.lead;
    return out;
}

namespace {

asio::awaitable<lookup_result> ready(lookup_result result) { co_return result; }

asio::awaitable<lookup_result> wait_for_flight(std::shared_ptr<lookup_channel> wait) {
    boost::system::error_code ec;
    lookup_result received = co_await wait->async_receive(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) received = lookup_result{lookup_status::unavailable, std::nullopt};
    co_return received;
}

}  // namespace

asio::awaitable<lookup_result> tenant_registry::find(std::string code) {
    const snapshot_ptr current = snapshot();
    if (const tenant_record* record = current->find(code)) {
        return ready(lookup_result{lookup_status::found, *record});
    }
    joined_flight joined = join_flight(code, worker_.get_executor());
    if (joined.lead) return lead_lookup(std::move(code), std::move(joined.lead));
    if (joined.wait) return wait_for_flight(std::move(joined.wait));
    return ready(lookup_result{joined.miss, std::nullopt});
}

asio::awaitable<lookup_result> tenant_registry::lead_lookup(std::string code, std::shared_ptr<flight> f) {
    one_reply reply = co_await asio::co_spawn(worker_, load_one_on_worker(&source_, code),
                                              asio::use_awaitable);
    const lookup_result result = settle_lookup(code, std::move(reply.error), std::move(reply.record));
    finish_flight(code, f, result);
    co_return result;
}

lookup_result tenant_registry::settle_lookup(const std::string& code, std::optional<std::string> error,
                                             std::optional<tenant_record> record) {
    lookup_result result;
    if (error) {
        result.status = lookup_status::unavailable;
        remember_miss(code, std::min<clock::duration>(unavailable_ttl, config().negative_cache_ttl));
        registry_log(code, "on-demand lookup failed: " + *error);
    } else if (record) {
        log_row_problem(*record);
        result = lookup_result{lookup_status::found, record};
        std::lock_guard lock(mutex_);
        auto next = std::make_shared<registry_snapshot>(*snapshot_);
        next->tenants[code] = std::move(*record);
        snapshot_ = std::move(next);
    } else {
        remember_miss(code, config().negative_cache_ttl);
    }
    return result;
}

void tenant_registry::finish_flight(const std::string& code, const std::shared_ptr<flight>& f,
                                    const lookup_result& result) {
    std::vector<std::shared_ptr<lookup_channel>> waiters;
    {
        std::lock_guard lock(mutex_);
        const auto found = flights_.find(code);
        if (found != flights_.end() && found->second == f) flights_.erase(found);
        waiters.swap(f->waiters);
    }
    for (const auto& waiter : waiters) waiter->try_send(boost::system::error_code(), result);
}

std::uint64_t tenant_registry::current_generation() const {
    std::lock_guard lock(mutex_);
    return generation_;
}

registry_status tenant_registry::status() const {
    std::lock_guard lock(mutex_);
    registry_status out;
    out.source = kind_;
    out.served_from = served_from_;
    out.lookups = lookups_;
    out.lookups_limited = lookups_limited_;
    out.tenants = snapshot_->tenants.size();
    out.stale = stale_;
    out.age = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - last_success_);
    out.last_error = last_error_;
    out.negative_cached = misses_.size();
    out.loads_ok = loads_ok_;
    out.loads_failed = loads_failed_;
    return out;
}

std::unique_ptr<registry_source> make_registry_source(const conf::config& config,
                                                      std::shared_ptr<credential_store> secrets) {
    if (config.registry.source == conf::registry_source::tds) {
        return make_tds_source(config.registry, std::move(secrets), config.pools.login_timeout);
    }
    return make_yaml_source(config.tenants);
}

}  // namespace tds_pool
