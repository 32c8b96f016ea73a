#include "tds_pool/registry/registry_client.hpp"

// The on-demand half of the registry: a code missing from the snapshot is looked up at
// its source once, however many requests ask at the same moment (single flight), and a
// miss is remembered for a while (negative cache), so a flood of unknown codes costs
// the source little.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"
#include "tds_pool/registry/registry_log.hpp"

namespace tds_pool {

namespace {

/// How long a lookup that failed because the registry was unreachable is remembered:
/// short, so a recovered registry is asked again soon.
constexpr tenant_registry::clock::duration unavailable_ttl = std::chrono::seconds(2);

/// Hands one lookup result to one waiting caller (one slot: the send never blocks).
using lookup_channel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, lookup_result)>;

struct one_reply {
    std::optional<std::string> error;
    std::optional<tenant_record> record;
};

asio::awaitable<one_reply> load_one_on_worker(const std::unique_ptr<registry_source>* source,
                                              std::string code) {
    auto asked = ask_source<std::optional<tenant_record>>([source, &code] { return (*source)->load_one(code); });
    one_reply reply;
    reply.error = std::move(asked.error);
    reply.record = std::move(asked.value);
    co_return reply;
}

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

}  // namespace tds_pool
