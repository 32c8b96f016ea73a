#include "tds_pool/tenant_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"
#include "tds_pool/executor_check.hpp"
#include "tds_pool/freetds/session_state.hpp"
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
                         std::shared_ptr<connection_budget> budget, std::string tenant,
                         connection_target target, tenant_pool_settings settings,
                         std::function<pool_clock::time_point()> clock)
    : strand_(asio::make_strand(io)),
      worker_pool_(std::move(workers)),
      workers_(worker_pool_->get_executor()),
      budget_(std::move(budget)),
      tenant_(std::move(tenant)),
      target_(std::move(target)),
      key_(target_.key()),
      settings_(std::make_shared<const tenant_pool_settings>(settings)),
      max_size_(settings.limits.max_size),
      clock_(std::move(clock)),
      state_(settings.limits, clock_),
      breaker_(settings.breaker, clock_, std::hash<std::string>{}(key_)),
      last_used_ns_(ticks(pool_clock::now())) {}

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

/// Holds one of the tenant's job slots; gives it back on the strand when destroyed.
struct tenant_pool::job_slot {
    std::shared_ptr<tenant_pool> pool;

    job_slot() = default;
    explicit job_slot(std::shared_ptr<tenant_pool> p) : pool(std::move(p)) {}
    job_slot(job_slot&& other) noexcept : pool(std::move(other.pool)) {}
    job_slot& operator=(job_slot&&) = delete;
    ~job_slot() {
        if (pool) {
            asio::post(pool->strand_, [p = pool] { p->release_job_slot(); });
        }
    }
};

asio::awaitable<tenant_pool::job_slot> tenant_pool::take_job_slot(std::shared_ptr<tenant_pool> self) {
    co_await asio::co_spawn(self->strand_, acquire_job_slot(self), asio::use_awaitable);
    co_return job_slot{self};
}

// ---- acquire ---------------------------------------------------------------

db_error tenant_pool::breaker_error() const {
    db_error error{errc::tenant_db_unavailable,
                   fmt::format("database of tenant {} is unavailable (circuit open)", tenant_)};
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
        if (!budget_->try_reserve(target_.server)) {
            break;  // global caps: waiters get a released connection or time out
        }
        if (!breaker_.try_attempt()) {
            budget_->release(target_.server);
            break;
        }
        const slot_id id = state_.begin_open();
        asio::co_spawn(strand_, open_one(shared_from_this(), id),
                       [](std::exception_ptr e) { log_if_failed(e, "connection open"); });
    }
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
    stats_.record_open(result.has_value());
    if (result) {
        state_.open_succeeded(id, std::move(result.value()));
        breaker_.on_success();
        serve_waiters();
    } else {
        state_.open_failed(id);
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

// ---- queries -----------------------------------------------------------------

asio::awaitable<bool> tenant_pool::validate(std::shared_ptr<tenant_pool> self, connection* conn) {
    auto slot = co_await take_job_slot(self);
    const auto timeout = self->settings()->validate_timeout;
    auto job = [conn, timeout] { return conn->validate(timeout); };
    co_return co_await detail::async_call(self->workers_, std::move(job), asio::use_awaitable);
}

asio::awaitable<outcome<lease>> tenant_pool::acquire_valid(std::shared_ptr<tenant_pool> self,
                                                           pool_clock::time_point deadline) {
    // A stale connection that fails validation is replaced; a few rounds at most.
    for (int round = 0; round < 4; ++round) {
        auto got = co_await acquire(self, deadline);
        if (!got || !got.value().needs_validation()) {
            co_return got;
        }
        if (co_await validate(self, &got.value().conn())) {
            co_return got;
        }
        got.value().discard(close_reason::validation_failed);
        if (pool_clock::now() >= deadline) {
            break;
        }
    }
    co_return db_error{errc::connection_lost, "pooled connections failed validation"};
}

asio::awaitable<std::optional<db_error>> tenant_pool::send_on(std::shared_ptr<tenant_pool> self,
                                                              connection* conn, const query* statement,
                                                              std::chrono::milliseconds timeout) {
    if (conn->can_send_without_blocking(*statement)) {
        // Saves two thread hand-overs per query; a failure's clean-up may wait for the
        // server, so that part still goes to a worker.
        db_error error;
        switch (conn->send_request_nonblocking(*statement, timeout, error)) {
        case connection::step::done: co_return std::nullopt;
        case connection::step::refused: co_return error;
        case connection::step::failed: break;
        }
        co_return co_await finish_failure(self, conn);
    }
    // The job slot is held only while a worker is busy, not during the network wait.
    auto slot = co_await take_job_slot(self);
    auto send = [conn, statement, timeout] { return conn->send_request(*statement, timeout); };
    co_return co_await detail::async_call(self->workers_, std::move(send), asio::use_awaitable);
}

asio::awaitable<std::optional<db_error>> tenant_pool::read_on(std::shared_ptr<tenant_pool> self,
                                                              connection* conn, bool readable,
                                                              row_sink* sink) {
    if (readable && conn->reply_buffered()) {
        // The whole reply is in the socket buffer: db-lib cannot block, so no worker.
        if (conn->read_buffered_reply_into(*sink)) {
            co_return std::nullopt;
        }
        co_return co_await finish_failure(self, conn);
    }
    auto slot = co_await take_job_slot(self);
    auto read = [conn, sink] { return conn->read_reply_into(*sink); };
    co_return co_await detail::async_call(self->workers_, std::move(read), asio::use_awaitable);
}

asio::awaitable<db_error> tenant_pool::finish_failure(std::shared_ptr<tenant_pool> self, connection* conn) {
    auto slot = co_await take_job_slot(self);
    auto finish = [conn] { return conn->finish_failed_step(); };
    co_return co_await detail::async_call(self->workers_, std::move(finish), asio::use_awaitable);
}

asio::awaitable<std::optional<db_error>> tenant_pool::run_on(std::shared_ptr<tenant_pool> self,
                                                             connection* conn, const query* statement,
                                                             std::chrono::milliseconds timeout,
                                                             row_sink* sink) {
    const auto started = pool_clock::now();
    if (auto error = co_await send_on(self, conn, statement, timeout)) {
        co_return std::move(*error);
    }
    const bool readable = co_await wait_readable(conn->socket(), timeout);
    if (!readable) {
        // Out of time: read_reply's own time-out (1 s) sends ATTENTION and keeps the
        // connection when the server acknowledges it.
        conn->limit_reply_wait(std::chrono::milliseconds(1));
    } else {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(timeout - (pool_clock::now() - started));
        conn->limit_reply_wait(std::max(std::chrono::milliseconds(1), left));
    }
    co_return co_await read_on(self, conn, readable, sink);
}

asio::awaitable<bool> tenant_pool::wait_readable(int fd, std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    if (fd < 0) {
        co_return true;  // nothing to wait on: read_reply reports the failure
    }
    const auto executor = co_await asio::this_coro::executor;
    asio::posix::stream_descriptor socket(executor);
    boost::system::error_code assigned;
    socket.assign(fd, assigned);
    if (assigned) {
        co_return true;  // cannot watch it: read_reply still waits, bounded by its time-out
    }
    // The descriptor belongs to FreeTDS: release it, never close it.
    struct keep_open {
        asio::posix::stream_descriptor& socket;
        ~keep_open() { socket.release(); }
    } keep{socket};
    asio::steady_timer timer(executor, timeout);
    auto first = co_await (socket.async_wait(asio::posix::descriptor_base::wait_read,
                                             asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    co_return first.index() == 0 && !std::get<0>(std::get<0>(first));
}

asio::awaitable<outcome<query_result>> tenant_pool::execute(std::shared_ptr<tenant_pool> self,
                                                            query q,
                                                            pool_clock::time_point deadline) {
    result_collector rows;
    outcome<query_result> out = db_error{};
    if (auto error = co_await execute_into(std::move(self), std::move(q), deadline, &rows)) {
        out = std::move(*error);
    } else {
        out = std::move(rows.result);
    }
    co_return out;
}

asio::awaitable<std::optional<db_error>> tenant_pool::execute_into(std::shared_ptr<tenant_pool> self,
                                                                   query q,
                                                                   pool_clock::time_point deadline,
                                                                   row_sink* sink) {
    self->touch();
    const auto started = pool_clock::now();
    // Waiting for a connection is bounded by acquire_timeout as well as the deadline.
    const auto settings = self->settings();
    const auto acquire_deadline = std::min(deadline, started + settings->acquire_timeout);
    auto got = co_await acquire_valid(self, acquire_deadline);
    if (!got) {
        self->stats_.record_error(got.error());
        co_return got.error();
    }
    lease held = std::move(got.value());
    self->stats_.record_acquire_wait(pool_clock::now() - started);
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - pool_clock::now());
    const auto timeout = std::max(std::chrono::milliseconds(1),
                                  std::min(q.timeout.value_or(settings->query_timeout), left));
    const auto query_started = pool_clock::now();
    auto error = co_await run_on(self, &held.conn(), &q, timeout, sink);
    self->stats_.record_query_time(pool_clock::now() - query_started);
    if (error) {
        self->stats_.record_error(*error);
    }
    if (auto reason = held.conn().unsafe_reason()) {
        held.discard(*reason);
    } else if (may_leave_session_state(q.sql)) {
        held.discard(close_reason::session_unprovable);
    }
    co_return error;
}

asio::awaitable<outcome<std::chrono::microseconds>> tenant_pool::probe(
    std::shared_ptr<tenant_pool> self, std::chrono::milliseconds timeout) {
    const auto started = pool_clock::now();
    // An RPC with a parameter, as requests send, not only a batch. A named query, not a
    // temporary: g++ 12 destroys temporaries in a co_await twice.
    query probe_query{"SELECT @probe AS probe", {{"probe", param_type::int32, std::int64_t{1}}}, timeout};
    auto result = co_await execute(self, std::move(probe_query), started + timeout);
    if (!result) {
        self->stats_.record_probe(std::nullopt);
        co_return result.error();
    }
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(pool_clock::now() - started);
    self->stats_.record_probe(latency);
    co_return latency;
}

}  // namespace tds_pool
