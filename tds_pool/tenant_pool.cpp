#include "tds_pool/tenant_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"
#include "tds_pool/executor_check.hpp"
#include "tds_pool/worker_call.hpp"

namespace tds_pool {
namespace {

std::int64_t ticks(pool_clock::time_point t) { return t.time_since_epoch().count(); }

// Completion of a detached co_spawn: a pool task must never take the io_context down,
// but an escaping exception is a bug worth a log line.
void log_if_failed(std::exception_ptr error, const char* what) {
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        log_line(log_severity::error, fmt::format("{} failed: {}", what, e.what()));
    } catch (...) {
        log_line(log_severity::error, fmt::format("{} failed", what));
    }
}

}  // namespace

/// A coroutine parked on the strand until a connection is handed over or the deadline.
struct tenant_pool::parked_waiter {
    explicit parked_waiter(asio::strand<asio::any_io_executor> strand) : timer(strand) {}
    asio::steady_timer timer;
    std::optional<outcome<checkout>> result;
};

tenant_pool_settings tenant_pool_settings::from_config(const conf::pools_config& config) {
    tenant_pool_settings s;
    s.limits.min_size = config.min_size;
    s.limits.max_size = std::max<std::size_t>(1, config.max_size);
    s.limits.max_waiters = config.max_waiters;
    s.limits.max_opening = std::max<std::size_t>(1, config.max_opening);
    s.limits.idle_timeout = config.idle_timeout;
    s.limits.max_lifetime = config.max_lifetime;
    s.limits.max_lifetime_jitter = config.max_lifetime_jitter;
    s.limits.validate_after = config.validate_after;
    s.breaker = config.breaker;
    s.connect.login_timeout = config.login_timeout;
    s.query_timeout = config.query_timeout;
    s.acquire_timeout = config.acquire_timeout;
    s.job_cap = std::max<std::size_t>(1, config.worker_threads / 2);
    const auto shortest = std::min(config.idle_timeout, config.max_lifetime);
    s.janitor_interval = std::clamp<std::chrono::milliseconds>(
        shortest / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    return s;
}

// ---- construction, janitor ------------------------------------------------

tenant_pool::tenant_pool(asio::any_io_executor io, std::shared_ptr<asio::thread_pool> workers,
                         std::shared_ptr<connection_budget> budget,
                         std::shared_ptr<open_throttle> opens, std::string tenant,
                         connection_target target, tenant_pool_settings settings,
                         std::shared_ptr<inline_io_backoff> inline_io,
                         std::function<pool_clock::time_point()> clock)
    : strand_(asio::make_strand(io)),
      worker_pool_(std::move(workers)),
      workers_(worker_pool_->get_executor()),
      budget_(std::move(budget)),
      opens_(std::move(opens)),
      tenant_(std::move(tenant)),
      target_(std::move(target)),
      key_(target_.key()),
      settings_(std::make_shared<const tenant_pool_settings>(settings)),
      max_size_(settings.limits.max_size),
      clock_(std::move(clock)),
      state_(settings.limits, clock_),
      breaker_(settings.breaker, clock_, std::hash<std::string>{}(key_)),
      last_used_ns_(ticks(pool_clock::now())),
      inline_io_(std::move(inline_io)) {}

void tenant_pool::start() {
    janitor_timer_ = std::make_shared<asio::steady_timer>(strand_);
    asio::co_spawn(strand_, janitor_loop(weak_from_this(), janitor_timer_),
                   [](std::exception_ptr e) { log_if_failed(e, "pool janitor"); });
    asio::post(strand_, [self = shared_from_this()] { self->kick_opens(); });
}

asio::awaitable<void> tenant_pool::janitor_loop(std::weak_ptr<tenant_pool> weak,
                                                std::shared_ptr<asio::steady_timer> timer) {
    for (;;) {
        {
            // read each round: a reload may shorten the timeouts the interval follows
            auto self = weak.lock();
            if (!self) co_return;
            timer->expires_after(self->settings()->janitor_interval);
        }
        boost::system::error_code ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        auto self = weak.lock();
        if (!self || self->drained_.load()) {
            co_return;
        }
        self->janitor_tick();
    }
}

void tenant_pool::janitor_tick() {
    TG_ASSERT_ON(strand_);
    state_.run_janitor();
    if (state_.waiter_count() == 0 && budget_->under_pressure()) {
        state_.shed_idle();
    }
    dispose_closed();
    kick_opens();
    publish();
}

void tenant_pool::touch() { last_used_ns_.store(ticks(pool_clock::now())); }

std::shared_ptr<const tenant_pool_settings> tenant_pool::settings() const {
    std::lock_guard lock(settings_mutex_);
    return settings_;
}

pool_clock::time_point tenant_pool::last_used() const {
    return pool_clock::time_point(pool_clock::duration(last_used_ns_.load()));
}

// ---- blocking work on the worker pool ------------------------------------

asio::awaitable<void> tenant_pool::acquire_job_slot(std::shared_ptr<tenant_pool> self) {
    TG_ASSERT_ON(self->strand_);
    if (self->jobs_running_ < self->settings()->job_cap) {
        ++self->jobs_running_;
        co_return;
    }
    // Parked until release_job_slot hands its slot over (it cancels the timer).
    auto timer = std::make_shared<asio::steady_timer>(self->strand_, pool_clock::time_point::max());
    self->job_waiters_.push_back(timer);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void tenant_pool::release_job_slot() {
    TG_ASSERT_ON(strand_);
    if (!job_waiters_.empty()) {
        job_waiters_.front()->cancel();
        job_waiters_.pop_front();
        return;
    }
    --jobs_running_;
}

asio::awaitable<tenant_pool::job_slot> tenant_pool::take_job_slot(std::shared_ptr<tenant_pool> self) {
    co_await asio::co_spawn(self->strand_, acquire_job_slot(self), asio::use_awaitable);
    co_return job_slot{self};
}

// ---- acquire ---------------------------------------------------------------

db_error tenant_pool::breaker_error() const {
    db_error error{errc::tenant_db_unavailable,
                   fmt::format("database of tenant {} is unavailable (circuit open)", tenant_)};
    if (last_open_failure_ && is_tls_failure(last_open_failure_->code)) {
        // A server that cannot be trusted keeps its own code while the circuit is open:
        // clients see why, not merely that the database is away.
        error.code = last_open_failure_->code;
        error.reason = last_open_failure_->reason;
        error.message = fmt::format("{} (circuit open)", last_open_failure_->message);
    }
    error.retry_after = breaker_.retry_after();
    return error;
}

asio::awaitable<outcome<checkout>> tenant_pool::acquire_on_strand(std::shared_ptr<tenant_pool> self,
                                                                  pool_clock::time_point deadline) {
    TG_ASSERT_ON(self->strand_);
    if (self->state_.draining()) {
        co_return db_error{errc::pool_closed, "the pool is draining"};
    }
    if (auto idle = self->state_.take_idle()) {
        self->dispose_closed();
        self->publish();
        co_return *idle;
    }
    self->dispose_closed();
    if (self->breaker_.state() == breaker_state::open &&
        self->breaker_.retry_after().count() > 0) {
        co_return self->breaker_error();
    }
    const auto id = self->state_.add_waiter();
    if (!id) {
        co_return db_error{errc::pool_overloaded,
                           fmt::format("too many requests waiting for tenant {}", self->tenant_)};
    }
    auto waiter = std::make_shared<parked_waiter>(self->strand_);
    waiter->timer.expires_at(deadline);
    self->parked_.emplace(*id, waiter);
    self->kick_opens();
    self->publish();
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // Check the result first: a hand-over may race with the deadline firing.
    if (waiter->result) {
        co_return std::move(*waiter->result);
    }
    self->state_.remove_waiter(*id);
    self->parked_.erase(*id);
    self->publish();
    co_return db_error{errc::pool_timeout,
                       fmt::format("no connection for tenant {} within the deadline", self->tenant_)};
}

asio::awaitable<outcome<lease>> tenant_pool::acquire(std::shared_ptr<tenant_pool> self,
                                                     pool_clock::time_point deadline) {
    auto got = co_await asio::co_spawn(self->strand_, acquire_on_strand(self, deadline),
                                       asio::use_awaitable);
    if (!got) {
        co_return got.error();
    }
    co_return lease(self, got.value());
}

void tenant_pool::wake(waiter_id id, outcome<checkout> result) {
    TG_ASSERT_ON(strand_);
    const auto it = parked_.find(id);
    if (it == parked_.end()) {
        return;
    }
    it->second->result = std::move(result);
    it->second->timer.cancel();
    parked_.erase(it);
}

void tenant_pool::serve_waiters() {
    while (auto g = state_.serve_next_waiter()) {
        wake(g->waiter, g->lease);
    }
}

void tenant_pool::fail_all_waiters(const db_error& error) {
    for (const waiter_id id : state_.take_waiters()) {
        wake(id, error);
    }
}

// ---- opening ---------------------------------------------------------------

void tenant_pool::kick_opens() {
    TG_ASSERT_ON(strand_);
    const std::size_t wanted = state_.wanted_opens();
    for (std::size_t i = 0; i < wanted; ++i) {
        if (!opens_->try_begin()) {
            wait_for_open_turn();  // the instance opens enough at once: ours comes later
            break;
        }
        if (!budget_->try_reserve(target_.server)) {
            opens_->end();
            break;  // global caps: waiters get a released connection or time out
        }
        if (!breaker_.try_attempt()) {
            budget_->release(target_.server);
            opens_->end();
            break;
        }
        const slot_id id = state_.begin_open();
        asio::co_spawn(strand_, open_one(shared_from_this(), id),
                       [](std::exception_ptr e) { log_if_failed(e, "connection open"); });
    }
}

void tenant_pool::wait_for_open_turn() {
    TG_ASSERT_ON(strand_);
    if (waiting_for_open_turn_) return;
    waiting_for_open_turn_ = true;
    opens_->wait_for_turn([weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        asio::post(self->strand_, [self] {
            self->waiting_for_open_turn_ = false;
            self->kick_opens();
            self->publish();
        });
    });
}

asio::awaitable<void> tenant_pool::open_one(std::shared_ptr<tenant_pool> self, slot_id id) {
    auto slot = co_await take_job_slot(self);
    const connection_target* target = &self->target_;
    // the settings of the moment the open starts, kept alive by the job
    auto settings = self->settings();
    auto job = [target, settings] { return connection::open(*target, settings->connect); };
    auto opened = co_await detail::async_call(self->workers_, std::move(job), asio::use_awaitable);
    self->on_open_result(id, std::move(opened));
}

void tenant_pool::on_open_result(slot_id id, outcome<std::unique_ptr<connection>> result) {
    TG_ASSERT_ON(strand_);
    opens_->end();
    stats_.record_open(result.has_value());
    if (result) {
        stats_.record_encryption(link_encryption_name(result.value()->encryption()));
        last_open_failure_.reset();
        state_.open_succeeded(id, std::move(result.value()));
        breaker_.on_success();
        serve_waiters();
    } else {
        state_.open_failed(id);
        if (is_tls_failure(result.error().code)) {
            stats_.record_tls_failure(result.error().reason);
        }
        last_open_failure_ = result.error();
        const breaker_state before = breaker_.state();
        breaker_.on_failure();
        stats_.note_error(result.error());
        log_line(log_severity::warn, fmt::format("tenant {}: open failed: {}", tenant_, result.error().message));
        if (breaker_.state() == breaker_state::open) {
            if (before != breaker_state::open) {
                log_line(log_severity::warn, fmt::format("tenant {}: circuit opened, retry after {} ms", tenant_,
                                     breaker_.retry_after().count()));
            }
            fail_all_waiters(breaker_error());
        } else if (auto waiter = state_.take_oldest_waiter()) {
            // The caller that needed this connection hears why at once, not at its deadline.
            wake(*waiter, result.error());
        }
    }
    dispose_closed();
    kick_opens();
    publish();
}

// ---- release, closing --------------------------------------------------------

void tenant_pool::on_release(slot_id id, pooled_resource* resource, std::optional<close_reason> discard) {
    TG_ASSERT_ON(strand_);
    if (discard) {
        stats_.record_discard(close_reason_name(*discard));
        state_.discard(id, *discard);
    } else if (!static_cast<connection*>(resource)->needs_reset()) {
        // Nothing the lease ran can have changed the session: reusable without a round trip.
        stats_.record_clean_return();
        state_.release(id, false);
    } else {
        // Idle again only once its session is reset; a waiter counts on it meanwhile.
        state_.begin_reset(id);
        asio::co_spawn(strand_, reset_session(shared_from_this(), id, static_cast<connection*>(resource)),
                       [](std::exception_ptr e) { log_if_failed(e, "session reset"); });
    }
    dispose_closed();
    serve_waiters();
    kick_opens();
    publish();
}

asio::awaitable<void> tenant_pool::reset_session(std::shared_ptr<tenant_pool> self, slot_id id,
                                                 connection* conn) {
    std::optional<close_reason> failure;
    {
        auto slot = co_await take_job_slot(self);
        const auto timeout = self->settings()->validate_timeout;
        auto job = [conn, timeout] { return conn->reset_session(timeout); };
        failure = co_await detail::async_call(self->workers_, std::move(job), asio::use_awaitable);
    }
    TG_ASSERT_ON(self->strand_);
    if (failure) {
        self->stats_.record_discard(close_reason_name(*failure));
    } else {
        self->stats_.record_reset();
    }
    self->state_.finish_reset(id, failure);
    self->dispose_closed();
    self->serve_waiters();
    self->kick_opens();
    self->publish();
}

void tenant_pool::dispose_closed() {
    TG_ASSERT_ON(strand_);
    for (auto& closed : state_.take_closed()) {
        budget_->release(target_.server);
        if (closed.reason != close_reason::open_failed) {
            stats_.record_close(close_reason_name(closed.reason));
            log_line(fmt::format("tenant {}: closing connection {} ({})", tenant_, closed.slot,
                                 close_reason_name(closed.reason)));
        }
        if (closed.resource) {
            // dbclose touches the socket: keep it off the I/O threads.
            asio::post(workers_, [resource = std::move(closed.resource)]() mutable { resource.reset(); });
        }
    }
}

void tenant_pool::resize(std::size_t max_size) {
    asio::post(strand_, [self = shared_from_this(), max_size] {
        self->state_.set_max_size(max_size);
        self->max_size_.store(self->state_.limits().max_size);
        self->dispose_closed();
        self->serve_waiters();
        self->kick_opens();
        self->publish();
    });
}

void tenant_pool::reconfigure(tenant_pool_settings settings) {
    auto next = std::make_shared<const tenant_pool_settings>(std::move(settings));
    {
        std::lock_guard lock(settings_mutex_);
        settings_ = next;
    }
    asio::post(strand_, [self = shared_from_this(), next] {
        self->state_.reconfigure(next->limits);
        self->breaker_.reconfigure(next->breaker);
        self->max_size_.store(self->state_.limits().max_size);
        self->dispose_closed();
        self->serve_waiters();
        self->kick_opens();
        self->publish();
    });
}

void tenant_pool::drain() {
    asio::post(strand_, [self = shared_from_this()] {
        self->state_.start_drain();
        self->fail_all_waiters(db_error{errc::pool_closed, "the pool is draining"});
        self->dispose_closed();
        self->publish();
    });
}

void tenant_pool::publish() {
    TG_ASSERT_ON(strand_);
    pool_stats::gauges g;
    g.idle = state_.idle_count();
    g.busy = state_.busy_count();
    g.resetting = state_.resetting_count();
    g.opening = state_.opening_count();
    g.waiters = state_.waiter_count();
    g.draining = state_.draining();
    g.breaker_state = std::string(breaker_state_name(breaker_.state()));
    g.retry_after = breaker_.retry_after();
    stats_.set_gauges(std::move(g));
    if (state_.drained() && !drained_.load()) {
        drained_.store(true);
        if (janitor_timer_) {
            janitor_timer_->cancel();
        }
    }
}

pool_snapshot tenant_pool::snapshot() const {
    pool_snapshot s;
    s.tenant = tenant_;
    s.server = target_.server;
    s.port = target_.port;
    s.database = target_.database;
    s.max_size = max_size_.load();
    stats_.fill(s);
    return s;
}

}  // namespace tds_pool
