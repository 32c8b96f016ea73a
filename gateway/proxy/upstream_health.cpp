#include "gateway/proxy/upstream_health.hpp"

#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// co_spawn completion of a check loop: a failure stops checking that upstream only.
void report_checks_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("upstream health checks failed", {{"error", e.what()}});
    } catch (...) {
        log_error("upstream health checks failed", {{"error", "unknown exception"}});
    }
}

asio::awaitable<void> check_loop(std::shared_ptr<upstream_pool> pool) {
    const auto check = *pool->config().health_check;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!pool->stopped()) {
        for (std::size_t i = 0; i < pool->size() && !pool->stopped(); ++i) {
            const bool ok = co_await check_server(pool->address(i), check.path, check.timeout);
            pool->record_check(i, ok);
        }
        timer.expires_after(check.interval);
        co_await timer.async_wait(nothrow);
    }
}

}  // namespace

void start_health_checks(std::shared_ptr<upstream_pool> pool, asio::any_io_executor executor) {
    if (!pool->config().health_check) return;
    asio::co_spawn(asio::make_strand(executor), check_loop(std::move(pool)), report_checks_end);
}

asio::awaitable<bool> check_server(upstream_address address, std::string path,
                                   std::chrono::milliseconds timeout) {
    const auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
        address.host, std::to_string(address.port), nothrow);
    if (resolve_ec) co_return false;
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    if (auto [ec, ep] = co_await stream.async_connect(endpoints, nothrow); ec) co_return false;

    http::request<http::empty_body> req{http::verb::get, address.base_path + path, 11};
    req.set(http::field::host, address.authority);
    req.set(http::field::user_agent, "tenant-gateway-health-check");
    req.keep_alive(false);
    if (auto [ec, n] = co_await http::async_write(stream, req, nothrow); ec) co_return false;

    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, nothrow);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    if (ec) co_return false;
    const unsigned status = parser.get().result_int();
    co_return status >= 200 && status < 400;
}

}  // namespace gateway
