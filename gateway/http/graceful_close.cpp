#include "gateway/http/graceful_close.hpp"

#include <array>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gateway {

namespace {
constexpr auto linger_time = std::chrono::seconds(1);
constexpr std::size_t linger_max_bytes = 1024 * 1024;
}  // namespace

asio::awaitable<void> close_gracefully(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (!ec) {
        std::array<char, 4096> sink{};
        std::size_t discarded = 0;
        stream.expires_after(linger_time);
        while (discarded < linger_max_bytes) {
            auto [read_ec, n] = co_await stream.async_read_some(
                asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
            if (read_ec) break;
            discarded += n;
        }
    }
    stream.close();
}

}  // namespace gateway
