#include "gateway/http/request_framing.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "gateway/http/client_stream.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;

/// `value` without surrounding spaces and tabs.
std::string_view trim(std::string_view value) noexcept {
    const auto first = value.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = value.find_last_not_of(" \t");
    return value.substr(first, last - first + 1);
}

/// The header block at the start of `buffer` (up to and including the CRLF that ends
/// the last field), or npos when the blank line has not arrived yet.
std::size_t header_end(std::string_view data) noexcept {
    const auto end = data.find("\r\n\r\n");
    return end == std::string_view::npos ? end : end + 2;
}

/// Parses a header already whole in `buffer` without an asynchronous read: Beast's
/// async_read_header would find it there too, but completes through the event loop's
/// queue (an operation that finishes at once is posted, never called inline), one
/// more trip through the scheduler per request. Empty when the parser wants more
/// (it should not: the blank line is there); then the caller reads as before.
std::optional<beast::error_code> parse_buffered_header(beast::flat_buffer& buffer,
                                                       http::request_parser<http::string_body>& parser) {
    beast::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) return std::nullopt;
    if (ec) return ec;
    if (!parser.is_header_done()) return std::nullopt;
    return check_framing(parser.get());
}

}  // namespace

bool has_obs_fold(std::string_view head) noexcept {
    for (auto pos = head.find("\r\n"); pos != std::string_view::npos;
         pos = head.find("\r\n", pos + 2)) {
        if (pos + 2 < head.size() && (head[pos + 2] == ' ' || head[pos + 2] == '\t')) {
            return true;
        }
    }
    return false;
}

beast::error_code check_framing(const http::request_header<>& header) {
    const auto lengths = header.count(http::field::content_length);
    const auto codings = header.count(http::field::transfer_encoding);
    if (lengths > 1) return http::error::multiple_content_length;
    if (lengths == 1 && header[http::field::content_length].find(',') != std::string_view::npos) {
        return http::error::bad_content_length;
    }
    if (codings == 0) return {};
    if (codings > 1 || lengths > 0 || header.version() < 11) {
        return http::error::bad_transfer_encoding;
    }
    if (!beast::iequals(trim(header[http::field::transfer_encoding]), "chunked")) {
        return http::error::bad_transfer_encoding;
    }
    return {};
}

std::optional<std::string_view> repeated_singleton_field(const http::request_header<>& header) {
    constexpr std::string_view singletons[] = {"Host", "Authorization", "Proxy-Authorization"};
    for (const std::string_view name : singletons) {
        if (header.count(name) > 1) return name;
    }
    return std::nullopt;
}

asio::awaitable<beast::error_code> read_request_header(
    client_stream& stream, beast::flat_buffer& buffer,
    http::request_parser<http::string_body>& parser, std::size_t header_limit) {
    // Beast parses a header only once it is complete, so the whole block is in the
    // buffer here; a read error is left to async_read_header to report as usual.
    for (;;) {
        const std::string_view data{static_cast<const char*>(buffer.data().data()),
                                    buffer.size()};
        const auto end = header_end(data);
        if (end != std::string_view::npos) {
            if (has_obs_fold(data.substr(0, end))) co_return http::error::bad_value;
            if (auto parsed = parse_buffered_header(buffer, parser)) co_return *parsed;
            break;
        }
        if (buffer.size() > header_limit) break;
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(read_chunk), nothrow);
        if (ec) break;
        buffer.commit(n);
    }
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, nothrow);
    if (ec) co_return ec;
    co_return check_framing(parser.get());
}

}  // namespace gateway
