#include "tds_pool/registry/registry_client.hpp"

// The registry's schedule and settings: the refresh loop (its interval, the back-off
// while the source fails), start and stop, and a reload's new source and settings.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"

namespace tds_pool {

namespace {

void registry_log(std::string_view message) { log_line(fmt::format("registry tenant=- {}", message)); }

}  // namespace

void tenant_registry::replace_source(std::unique_ptr<registry_source> source) {
    // the worker runs one job at a time in order: no source call sees a half swap
    auto next = std::make_shared<std::unique_ptr<registry_source>>(std::move(source));
    asio::post(worker_, [this, next] {
        source_ = std::move(*next);
        ++source_generation_;
    });
    std::lock_guard lock(mutex_);
    ++generation_;
}

void tenant_registry::reconfigure(conf::registry_config config, std::unique_ptr<registry_source> source) {
    std::string kind = source->kind();
    replace_source(std::move(source));
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
    kind_ = std::move(kind);
    misses_.clear();  // a miss of the old source says nothing about the new one
    change_check_unsupported_ = false;  // the new source may have a check
    told_no_change_check_ = false;
    limiter_ = lookup_limiter(config_.max_lookups_per_second, config_.lookup_burst, clock::now());
    backoff_ = retry_backoff(config_.retry_base, config_.retry_max);
    // another kind of source: what is served came from the old one until the new one loads
    if (served_from_ != "none" && served_from_ != kind_) stale_ = true;
    // the loop sleeps the old interval: end it and start one with the new settings
    stop_loop_locked();
    start_loop_locked();
}

asio::awaitable<void> refresh_loop(tenant_registry* registry, std::shared_ptr<std::atomic<bool>> running,
                                   std::shared_ptr<asio::steady_timer> timer) {
    for (;;) {
        const auto step = registry->next_step();
        if (!step) co_return;
        timer->expires_after(step->wait);
        auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || !running->load()) co_return;
        if (step->full_load) {
            co_await registry->refresh();
        } else {
            co_await registry->check_for_change();
        }
        if (!running->load()) co_return;
    }
}

std::optional<tenant_registry::loop_step> tenant_registry::next_step() {
    std::chrono::milliseconds wait;
    {
        std::lock_guard lock(mutex_);
        if (served_from_ == kind_ && !stale_) {
            const bool refreshes = config_.refresh_interval.count() > 0;
            const bool polls = config_.change_poll_interval.count() > 0 && !change_check_unsupported_;
            const auto now = clock::now();
            // counted from the last load, which a change check may have started
            const auto refresh_due = last_success_ + config_.refresh_interval;
            if (polls && (!refreshes || now + config_.change_poll_interval < refresh_due)) {
                return loop_step{config_.change_poll_interval, false};
            }
            if (!refreshes) return std::nullopt;
            return loop_step{std::max(refresh_due - now, clock::duration::zero()), true};
        }
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        wait = backoff_.next(unit(jitter_));
    }
    registry_log(fmt::format("registry not loaded from its source or stale: next attempt in {}ms",
                                  wait.count()));
    return loop_step{wait, true};
}

namespace {

/// The answer of a blocking change check, default-constructible for co_spawn.
struct change_reply {
    std::optional<change_answer> answer;  ///< empty: the check failed
    std::string error;
    std::uint64_t generation = 0;  ///< of the source that answered
};

// The source is dereferenced on the worker: replace_source swaps it there too.
asio::awaitable<change_reply> check_on_worker(const std::unique_ptr<registry_source>* source,
                                              const std::uint64_t* generation) {
    change_reply reply;
    reply.generation = *generation;
    auto asked = ask_source<change_answer>([source] { return (*source)->check_changed(); });
    if (asked.error) {
        reply.error = std::move(*asked.error);
    } else {
        reply.answer = asked.value;
    }
    co_return reply;
}

}  // namespace

asio::awaitable<void> tenant_registry::check_for_change() {
    change_reply reply = co_await asio::co_spawn(worker_, check_on_worker(&source_, &source_generation_),
                                                 asio::use_awaitable);
    // a reload replaced the source meanwhile: its own first load decides
    if (reply.generation != current_generation()) co_return;
    if (!reply.answer) {
        // the next full load (at refresh_interval) reports and retries a registry that is away
        registry_log(fmt::format("change check failed: {}", reply.error));
    }
    if (note_change_answer(reply.answer)) co_await refresh();
}

bool tenant_registry::note_change_answer(const std::optional<change_answer>& answer) {
    std::lock_guard lock(mutex_);
    if (!answer) {
        ++checks_failed_;
        return false;
    }
    switch (*answer) {
        case change_answer::changed: ++checks_changed_; return true;
        case change_answer::unchanged: ++checks_unchanged_; return false;
        case change_answer::unsupported: break;
    }
    if (!told_no_change_check_) {
        told_no_change_check_ = true;
        registry_log("the registry has no change check (no Tenants.UpdatedAt column?): changes are "
                     "seen at each refresh_interval only");
    }
    change_check_unsupported_ = true;
    return false;
}

void tenant_registry::start(asio::any_io_executor executor) {
    std::lock_guard lock(mutex_);
    if (loop_executor_) return;
    loop_executor_ = std::move(executor);  // kept: a reload may switch to a tds source
    start_loop_locked();
}

void tenant_registry::start_loop_locked() {
    if (!loop_executor_ || running_ || kind_ != "tds") return;
    running_ = std::make_shared<std::atomic<bool>>(true);
    loop_timer_ = std::make_shared<asio::steady_timer>(*loop_executor_);
    asio::co_spawn(*loop_executor_, refresh_loop(this, running_, loop_timer_), [](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                registry_log(std::string("refresh loop ended: ") + ex.what());
            }
        }
    });
}

void tenant_registry::stop_loop_locked() {
    if (!running_) return;
    running_->store(false);
    // the timer is used on the loop's executor only: cancel it there
    asio::post(*loop_executor_, [timer = loop_timer_] { timer->cancel(); });
    running_.reset();
    loop_timer_.reset();
}

void tenant_registry::stop() {
    std::lock_guard lock(mutex_);
    stop_loop_locked();
    loop_executor_.reset();  // stopped for good: a later reconfigure starts no loop
}

}  // namespace tds_pool
