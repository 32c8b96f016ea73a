#include "tds_pool/tenant_pool.hpp"

// The query half of a tenant pool: a validated lease, the request sent and the reply read
// on the workers (or on the event loop when the whole reply is already buffered), and the
// health probe. The bookkeeping half (strand, waiters, opens, leases) is tenant_pool.cpp.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tds_pool/freetds/inline_io_guard.hpp"
#include "tds_pool/freetds/session_state.hpp"
#include "tds_pool/pool_log.hpp"
#include "tds_pool/worker_call.hpp"

namespace tds_pool {

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

template <class Call>
std::optional<std::invoke_result_t<Call>> tenant_pool::run_guarded(connection& conn, Call call) {
    detail::inline_io_guard guard(conn.watched_socket());
    auto result = call();
    if (note_inline_stall(conn, guard.finish())) return std::nullopt;
    return result;
}

asio::awaitable<std::optional<db_error>> tenant_pool::send_on(std::shared_ptr<tenant_pool> self,
                                                              connection* conn, const query* statement,
                                                              std::chrono::milliseconds timeout) {
    if (self->inline_io_->allowed(self->clock_()) && conn->can_send_without_blocking(*statement)) {
        // Saves two thread hand-overs per query; a failure's clean-up may wait for the
        // server, so that part still goes to a worker.
        db_error error;
        const auto sent = self->run_guarded(*conn, [&] {
            return conn->send_request_nonblocking(*statement, timeout, error);
        }).value_or(connection::step::failed);
        switch (sent) {
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
                                                              connection* conn, reply_arrival arrival,
                                                              row_sink* sink) {
    // While a pause runs (this tenant's database held the loop), replies are read on the
    // workers: no peek either.
    const bool inline_allowed = self->inline_io_->allowed(self->clock_());
    const bool buffered = inline_allowed && (arrival == reply_arrival::buffered ||
                                             (arrival == reply_arrival::readable && conn->reply_buffered()));
    if (buffered) {
        // The whole reply is in the socket buffer: db-lib does not wait, so no worker
        // (unless the tokens inside lie about it: the guard bounds that).
        const bool read = self->run_guarded(*conn, [&] { return conn->read_buffered_reply_into(*sink); })
                              .value_or(false);
        if (read) co_return std::nullopt;
        co_return co_await finish_failure(self, conn);
    }
    auto slot = co_await take_job_slot(self);
    auto read = [conn, sink] { return conn->read_reply_into(*sink); };
    co_return co_await detail::async_call(self->workers_, std::move(read), asio::use_awaitable);
}

bool tenant_pool::note_inline_stall(connection& conn, bool tripped) {
    if (!tripped) return false;
    conn.mark_cut();
    const auto pause = inline_io_->record_cut(clock_());
    if (pause == std::chrono::seconds::zero()) return true;  // a pause already runs
    log_line(log_severity::warn,
             "tenant " + tenant_ + ": a reply that looked whole kept db-lib on the event loop past its limit "
             "(the database's tokens do not end where its framing does); the connection was cut, and this "
             "tenant's replies are read on the pool's workers for the next " + std::to_string(pause.count()) +
                 " s (the pause doubles with each cut, up to an hour)");
    return true;
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
    const bool may_read_inline = self->inline_io_->allowed(self->clock_());
    const reply_arrival arrival = co_await wait_for_reply(conn, timeout, may_read_inline);
    if (arrival == reply_arrival::timed_out) {
        // Out of time: read_reply's own time-out (1 s) sends ATTENTION and keeps the
        // connection when the server acknowledges it.
        conn->limit_reply_wait(std::chrono::milliseconds(1));
    } else {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(timeout - (pool_clock::now() - started));
        conn->limit_reply_wait(std::max(std::chrono::milliseconds(1), left));
    }
    co_return co_await read_on(self, conn, arrival, sink);
}

asio::awaitable<tenant_pool::reply_arrival> tenant_pool::wait_for_reply(connection* conn,
                                                                        std::chrono::milliseconds timeout,
                                                                        bool may_read_inline) {
    const int fd = conn->reply_socket();
    if (may_read_inline && fd >= 0 && fd == conn->socket()) {
        // Under load the event loop comes back to this request only after the others it
        // has ready, and by then the reply is usually in. A look after yielding then
        // saves registering the socket with the loop and removing it again (two
        // epoll_ctl and an FIONBIO: about 5% of a single-row request's CPU). Two turns:
        // since answers leave without a trip through the loop (write_at_once.hpp), one
        // turn is shorter and a single look came too early more often (measured: +10%
        // CPU per single-row request). When the reply is not in yet, the wait below costs
        // what it did, plus the two looks (two recv calls).
        for (int look = 0; look < 2; ++look) {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            if (conn->reply_buffered()) co_return reply_arrival::buffered;
        }
    }
    const bool readable = co_await wait_readable(fd, timeout);
    if (readable) conn->take_arrived_reply();
    co_return readable ? reply_arrival::readable : reply_arrival::timed_out;
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
    co_return co_await run_untouched(std::move(self), std::move(q), deadline, sink);
}

asio::awaitable<std::optional<db_error>> tenant_pool::run_untouched(std::shared_ptr<tenant_pool> self,
                                                                    query q,
                                                                    pool_clock::time_point deadline,
                                                                    row_sink* sink) {
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
    std::shared_ptr<tenant_pool> self, std::chrono::milliseconds timeout, probe_use use) {
    const auto started = pool_clock::now();
    // An RPC with a parameter, as requests send, not only a batch. A named query, not a
    // temporary: g++ 12 destroys temporaries in a co_await twice.
    query probe_query{"SELECT @probe AS probe", {{"probe", param_type::int32, std::int64_t{1}}}, timeout};
    result_collector rows;
    if (use == probe_use::keeps_pool) self->touch();
    if (auto error = co_await run_untouched(self, std::move(probe_query), started + timeout, &rows)) {
        self->stats_.record_probe(std::nullopt);
        co_return std::move(*error);
    }
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(pool_clock::now() - started);
    self->stats_.record_probe(latency);
    co_return latency;
}

}  // namespace tds_pool
