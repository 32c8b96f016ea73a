#include "gateway/proxy/proxy_relay.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/http/client_stream.hpp"
#include "gateway/http/flat_write.hpp"
#include "gateway/http/head_text.hpp"
#include "gateway/http/write_at_once.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t chunk_size = 16 * 1024;  // one socket read or so; small frames
/// A sized body is read into up to this much, by as many reads as the socket has ready,
/// and written with one send: one 16 KiB send per read cost a 64 kB answer five sends,
/// each a transmit and a wake-up of the client (nginx: proxy_buffers 8 16k, one writev).
constexpr std::size_t gather_window = 64 * 1024;
/// What all those windows may hold together (a window lives while its body is relayed,
/// a slow reader's for as long as write_timeout lets it); past it, 16 KiB ones.
constexpr std::size_t gather_budget = 64 * 1024 * 1024;

/// A relay's read window: 64 KiB while the budget has room, else 16 KiB.
class relay_window {
public:
    explicit relay_window(std::uint64_t wanted) {
        const std::size_t capped = static_cast<std::size_t>(std::min<std::uint64_t>(wanted, gather_window));
        size_ = capped > chunk_size && reserve(capped) ? capped : std::min(capped, chunk_size);
        data_ = std::make_unique_for_overwrite<char[]>(size_);
    }
    ~relay_window() {
        if (size_ > chunk_size) in_use.fetch_sub(size_, std::memory_order_relaxed);
    }
    relay_window(const relay_window&) = delete;
    relay_window& operator=(const relay_window&) = delete;

    char* data() noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }

private:
    /// Takes `bytes` of the budget; false (nothing taken) when it has no room for them.
    static bool reserve(std::size_t bytes) noexcept {
        if (in_use.fetch_add(bytes, std::memory_order_relaxed) + bytes <= gather_budget) return true;
        in_use.fetch_sub(bytes, std::memory_order_relaxed);
        return false;
    }

    static inline std::atomic<std::size_t> in_use{0};  ///< bytes of windows over 16 KiB
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
};

/// Reads the next piece of the body into `chunk`; false with `result` set on failure.
template <class Source, bool is_request>
asio::awaitable<bool> read_piece(Source& source, beast::flat_buffer& buffer,
                                 http::parser<is_request, http::buffer_body>& parser,
                                 std::array<char, chunk_size>& chunk,
                                 std::chrono::milliseconds timeout, relay_result& result) {
    auto& body = parser.get().body();
    body.data = chunk.data();
    body.size = chunk.size();
    source.expires_after(timeout);
    auto [ec, n] = co_await http::async_read_some(source, buffer, parser, nothrow);
    // A deadline runs whether or not an operation waits on the stream: each one is
    // cleared when its operation ends, so a slow write to the other side never uses it up.
    source.expires_never();
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
        result.failed = relay_result::side::source;
        result.ec = ec;
        co_return false;
    }
    body.size = chunk.size() - body.size;
    // An empty piece must have no data: Beast would serialize it as a zero-size chunk,
    // which is the last-chunk marker, and then write the real one after it.
    body.data = body.size > 0 ? chunk.data() : nullptr;
    body.more = !parser.is_done();
    co_return true;
}

/// Writes the pieces (header text, body bytes) to the client in one write; false with
/// `result` set on failure. Only the piece that carries the header is sent at once when
/// the socket takes it (write_whole): each later piece goes through an asynchronous
/// write, whose completion passes through the event loop's queue. Otherwise a long body
/// between a fast upstream and a fast client would be relayed start to end without
/// giving way, and every other connection on the loop would wait for it.
template <std::size_t count>
asio::awaitable<bool> write_pieces(client_stream& destination, const std::array<asio::const_buffer, count>& pieces,
                                   bool with_header, std::chrono::milliseconds timeout, relay_result& result) {
    destination.expires_after(timeout);
    beast::error_code ec;
    if (with_header) {
        ec = co_await write_whole(destination, pieces);
    } else {
        auto [write_ec, written] = co_await asio::async_write(destination, pieces, nothrow);
        ec = write_ec;
    }
    destination.expires_never();
    if (!ec) co_return true;
    result.failed = relay_result::side::destination;
    result.ec = ec;
    co_return false;
}

template <bool is_request, class Source, class Destination>
asio::awaitable<relay_result> relay(Source& source, beast::flat_buffer& buffer,
                                    http::parser<is_request, http::buffer_body>& parser,
                                    Destination& destination,
                                    http::serializer<is_request, http::buffer_body>& out,
                                    std::string& scratch, relay_timeouts timeouts) {
    // Left uninitialised: zeroing the chunk per message showed up in profiles.
    std::array<char, chunk_size> chunk;
    relay_result result;
    auto& body = parser.get().body();
    for (;;) {
        if (!parser.is_done()) {
            if (!co_await read_piece(source, buffer, parser, chunk, timeouts.read, result)) {
                co_return result;
            }
            // A chunk header alone carries no data: read on before writing.
            if (body.size == 0 && body.more) continue;
        } else {
            body.data = nullptr;
            body.size = 0;
            body.more = false;
        }
        const std::size_t piece = body.size;
        destination.expires_after(timeouts.write);
        const auto ec = co_await write_flat(destination, out, scratch);
        destination.expires_never();
        if (ec) {
            result.failed = relay_result::side::destination;
            result.ec = ec;
            co_return result;
        }
        result.bytes += piece;
        if (out.is_done()) co_return result;
    }
}

}  // namespace

asio::awaitable<relay_result> relay_request(client_stream& source,
                                            beast::flat_buffer& source_buffer,
                                            http::request_parser<http::buffer_body>& parser,
                                            upstream_stream& destination,
                                            http::request_serializer<http::buffer_body>& out,
                                            std::string& scratch, relay_timeouts timeouts) {
    co_return co_await relay<true>(source, source_buffer, parser, destination, out, scratch,
                                   timeouts);
}

asio::awaitable<relay_result> relay_response(upstream_stream& source,
                                             beast::flat_buffer& source_buffer,
                                             http::response_parser<http::buffer_body>& parser,
                                             client_stream& destination,
                                             http::response_serializer<http::buffer_body>& out,
                                             std::string& scratch, relay_timeouts timeouts) {
    co_return co_await relay<false>(source, source_buffer, parser, destination, out, scratch,
                                    timeouts);
}

asio::awaitable<relay_result> relay_raw_response(upstream_stream& source,
                                                 beast::flat_buffer& source_buffer,
                                                 http::response_parser<http::buffer_body>& parser,
                                                 client_stream& destination, std::string& scratch,
                                                 relay_timeouts timeouts) {
    std::array<char, chunk_size> chunk;  // uninitialised, as in relay()
    relay_result result;
    scratch.clear();
    append_head_text(parser.get().base(), scratch);
    std::size_t head_left = scratch.size();  // the header goes out with the first piece
    for (;;) {
        std::size_t piece = 0;
        if (!parser.is_done()) {
            if (!co_await read_piece(source, source_buffer, parser, chunk, timeouts.read, result)) {
                co_return result;
            }
            piece = parser.get().body().size;
            if (piece == 0 && !parser.is_done()) continue;
        }
        const std::array<asio::const_buffer, 2> out{asio::buffer(scratch.data(), head_left),
                                                    asio::buffer(chunk.data(), piece)};
        if (!co_await write_pieces(destination, out, head_left > 0, timeouts.write, result)) co_return result;
        head_left = 0;
        result.bytes += piece;
        if (parser.is_done()) co_return result;
    }
}

asio::awaitable<relay_result> relay_sized_response(upstream_stream& source,
                                                   beast::flat_buffer& source_buffer,
                                                   const http::response_header<>& header,
                                                   std::uint64_t length, client_stream& destination,
                                                   std::string& scratch, relay_timeouts timeouts) {
    relay_result result;
    scratch.clear();
    append_head_text(header, scratch);
    // What the header's read brought of the body goes out with the header.
    const std::size_t buffered = static_cast<std::size_t>(std::min<std::uint64_t>(source_buffer.size(), length));
    asio::const_buffer head = asio::buffer(scratch);
    asio::const_buffer first = asio::buffer(source_buffer.data().data(), buffered);
    std::uint64_t unread = length - buffered;
    std::optional<relay_window> window;  // only for a body longer than what came with the header
    beast::error_code failed;               // the upstream closed or failed before the body's end
    for (;;) {
        std::size_t filled = 0;
        if (unread > 0) {
            if (!window) window.emplace(unread);
            const auto into = asio::buffer(window->data(), static_cast<std::size_t>(std::min<std::uint64_t>(unread, window->size())));
            filled = source.read_ready(into, failed);
            if (filled == 0 && !failed && head.size() == 0) {
                // Nothing in hand to write: wait for the next piece.
                source.expires_after(timeouts.read);
                auto [read_ec, n] = co_await source.async_read_some(into, nothrow);
                source.expires_never();
                failed = read_ec;
                if (!failed) filled = n + source.read_ready(into + n, failed);
            }
            unread -= filled;
        }
        // What is in hand goes out even when the read after it failed.
        if (head.size() > 0 || filled > 0) {
            const std::array<asio::const_buffer, 3> out{head, first, asio::buffer(window ? window->data() : nullptr, filled)};
            if (!co_await write_pieces(destination, out, head.size() > 0, timeouts.write, result)) co_return result;
            if (head.size() > 0) source_buffer.consume(buffered);  // the first piece lay in the buffer
            result.bytes += first.size() + filled;
            head = first = asio::const_buffer();
        }
        if (failed) {
            result.failed = relay_result::side::source;
            result.ec = failed;
            co_return result;
        }
        if (unread == 0) break;
    }
    result.complete = true;
    co_return result;
}

}  // namespace gateway
