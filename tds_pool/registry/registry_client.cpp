#include "tds_pool/registry/registry_client.hpp"

#include <atomic>
#include <exception>
#include <stdexcept>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"
#include "tds_pool/registry/registry_log.hpp"
#include "tds_pool/registry/registry_snapshot_file.hpp"

namespace tds_pool {

namespace {

/// The result of a blocking source call, default-constructible for co_spawn.
struct load_reply {
    std::optional<std::string> error;
    std::vector<tenant_record> records;
    std::uint64_t generation = 0;  ///< of the source that answered
};

// The source is dereferenced on the worker: replace_source swaps it there too.
asio::awaitable<load_reply> load_all_on_worker(const std::unique_ptr<registry_source>* source,
                                               const std::uint64_t* generation) {
    load_reply reply;
    reply.generation = *generation;
    auto asked = ask_source<std::vector<tenant_record>>([source] { return (*source)->load_all(); });
    reply.error = std::move(asked.error);
    reply.records = std::move(asked.value);
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

}  // namespace

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
            change_check_unsupported_ = false;  // the load asked the source's check anew
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
    out.checks_unchanged = checks_unchanged_;
    out.checks_changed = checks_changed_;
    out.checks_failed = checks_failed_;
    return out;
}

std::unique_ptr<registry_source> make_registry_source(const conf::config& config,
                                                      std::shared_ptr<credential_store> secrets) {
    if (config.registry.source == conf::registry_source::tds) {
        return make_tds_source(config.registry, std::move(secrets), config.pools.login_timeout,
                               config.registry.tls.over(config.pools.tls));
    }
    return make_yaml_source(config.tenants);
}

}  // namespace tds_pool
