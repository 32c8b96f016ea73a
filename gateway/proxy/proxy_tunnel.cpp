#include "gateway/proxy/proxy_tunnel.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "gateway/http/client_stream.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

/// Copies one direction until its source ends; notes every transfer in `last_activity`.
template <class From, class To>
asio::awaitable<void> pump(From& from, To& to,
                           clock::time_point* last_activity) {
    std::array<char, 16 * 1024> chunk{};
    for (;;) {
        auto [read_ec, n] = co_await from.async_read_some(asio::buffer(chunk), nothrow);
        if (read_ec) co_return;
        *last_activity = clock::now();
        auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(chunk.data(), n),
                                                              nothrow);
        if (write_ec) co_return;
    }
}

/// Completes once no byte moved for `idle`.
asio::awaitable<void> watchdog(const clock::time_point* last_activity,
                               std::chrono::milliseconds idle) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        const auto until = *last_activity + idle;
        if (clock::now() >= until) co_return;
        timer.expires_at(until);
        auto [ec] = co_await timer.async_wait(nothrow);
        if (ec) co_return;
    }
}

/// Writes what `buffer` holds to `to`; false when the write fails.
template <class To>
asio::awaitable<bool> flush(beast::flat_buffer& buffer, To& to) {
    if (buffer.size() == 0) co_return true;
    auto [ec, n] = co_await asio::async_write(to, buffer.data(), nothrow);
    buffer.consume(buffer.size());
    co_return !ec;
}

}  // namespace

asio::awaitable<void> run_tunnel(client_stream& client, beast::flat_buffer& client_buffer,
                                 upstream_stream& upstream, beast::flat_buffer& upstream_buffer,
                                 std::chrono::milliseconds idle_timeout) {
    using namespace asio::experimental::awaitable_operators;
    // The streams' own timers would close the sockets mid-tunnel: the watchdog rules now.
    client.expires_never();
    upstream.expires_never();
    // The client side goes through its stream (TLS is decrypted there); the upstream's
    // plain socket is used directly.
    auto& upstream_socket = upstream.socket();
    if (!co_await flush(upstream_buffer, client)) co_return;
    if (!co_await flush(client_buffer, upstream_socket)) co_return;
    auto last_activity = clock::now();
    co_await (pump(client, upstream_socket, &last_activity) ||
              pump(upstream_socket, client, &last_activity) ||
              watchdog(&last_activity, idle_timeout));
}

}  // namespace gateway
