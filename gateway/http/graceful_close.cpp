#include "gateway/http/graceful_close.hpp"

#include <array>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/http/client_stream.hpp"

namespace gateway {

namespace {
constexpr auto linger_time = std::chrono::seconds(1);
constexpr std::size_t linger_max_bytes = 1024 * 1024;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

/// Input is waiting (or the socket cannot say): closing now could reset the connection.
bool input_waiting(asio::ip::tcp::socket& socket) {
    beast::error_code ec;
    const std::size_t waiting = socket.available(ec);
    return ec || waiting > 0;
}

}  // namespace

asio::awaitable<void> close_gracefully(client_stream& stream, close_kind kind) {
    if (auto* tls = stream.tls()) {
        // close_notify tells the client the response ended here, not in a truncation
        // attack; a client that never answers it costs at most linger_time.
        stream.expires_after(linger_time);
        co_await tls->async_shutdown(nothrow);
    }
    // The rest goes below TLS: what the client still sends is read and dropped raw.
    auto& socket = stream.socket();
    if (kind == close_kind::client_closes || (kind == close_kind::input_complete && !input_waiting(socket))) {
        stream.close();
        co_return;
    }
    beast::error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (!ec) {
        std::array<char, 4096> sink{};
        std::size_t discarded = 0;
        stream.expires_after(linger_time);
        while (discarded < linger_max_bytes) {
            auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(sink), nothrow);
            if (read_ec) break;
            discarded += n;
        }
    }
    stream.close();
}

}  // namespace gateway
