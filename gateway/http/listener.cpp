#include "gateway/http/listener.hpp"

#include <chrono>
#include <cstdint>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/http/connection_tracker.hpp"
#include "gateway/http/graceful_close.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/request_id.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/http/response_writer.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/http/session.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// Answers a connection over the cap with 503 and closes it; it never counts as open.
asio::awaitable<void> refuse_connection(asio::ip::tcp::socket socket, conf::duration retry_after) {
    client_stream stream(std::move(socket));
    const std::string request_id = generate_request_id();
    auto res = error_response(503, "too_many_connections",
                              "the gateway has too many open connections; retry later",
                              request_id);
    set_retry_after(res, retry_after);
    std::string scratch;
    co_await write_gateway_response(stream, res, request_id, {11, false, false, "", std::chrono::seconds(2)}, scratch);
    co_await close_gracefully(stream);
}

/// Logs an exception that escaped a refused connection's coroutine.
void report_refusal_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("refusing a connection failed", {{"error", e.what()}});
    } catch (...) {
        log_error("refusing a connection failed", {{"error", "unknown exception"}});
    }
}

/// Logs refusals over the connection cap at most once a second (per event loop), with
/// how many there were since the last line: a flood must not also flood the log.
class refusal_log {
public:
    void refused(std::size_t open, std::size_t cap) {
        ++since_last_;
        const auto now = std::chrono::steady_clock::now();
        if (now < next_) return;
        log_warn("connections refused: too many open connections",
                 {{"open", open}, {"max_client_connections", cap}, {"refused", since_last_}});
        since_last_ = 0;
        next_ = now + std::chrono::seconds(1);
    }

private:
    std::uint64_t since_last_ = 0;
    std::chrono::steady_clock::time_point next_{};
};

/// Waits a little after an accept error such as EMFILE, so the loop does not spin.
asio::awaitable<void> back_off(asio::any_io_executor executor) {
    asio::steady_timer timer(executor, std::chrono::milliseconds(50));
    co_await timer.async_wait(nothrow);
}

}  // namespace

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, services& svc,
                                  const tls_identity_holder* tls) {
    auto executor = acceptor.get_executor();
    refusal_log refusals;  // one per accept loop, each a single coroutine: no lock needed
    asio::ip::tcp::endpoint peer;  // filled by accept itself: no getpeername per connection
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(peer, nothrow);
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            log_warn("accept failed", {{"error", ec.message()}});
            co_await back_off(executor);
            continue;
        }
        const auto state = svc.state.get();
        const auto& limits = state->config().limits;
        const auto cap = limits.max_client_connections;
        const auto admission = svc.connections.admit(cap);
        // Draining: the socket closes as it goes out of scope.
        if (admission == connection_tracker::admission::draining) continue;
        if (admission == connection_tracker::admission::full) {
            refusals.refused(svc.connections.size(), cap);
            if (tls != nullptr) continue;  // the socket closes as it goes out of scope
            asio::co_spawn(executor,
                           refuse_connection(std::move(socket), limits.retry_after.too_many_connections),
                           report_refusal_end);
            continue;
        }
        session::start(std::move(socket), peer.address(), svc, tls != nullptr ? tls->get() : nullptr);
    }
}

}  // namespace gateway
