#include "gateway/proxy/proxy_exchange_state.hpp"

// The answer half of a proxied request: the upstream's response head, then the relayed
// response, a protocol switch, or the gateway's own 502/504.

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/http/client_stream.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/http/response_writer.hpp"
#include "gateway/proxy/proxy_relay.hpp"
#include "gateway/proxy/proxy_tunnel.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway::proxy_detail {

namespace {

// Room for a typical response head and a small body in one read: Beast's default first
// read of 512 bytes split even small answers over two reads and two client writes.
constexpr std::size_t upstream_read_room = 16 * 1024;

/// 1xx, 204 and 304 answers end with their header, whatever framing it states (RFC 9112
/// 6.3): relaying a chunked one's framing would put a stray last chunk on the client's
/// connection, read there as the start of the next answer.
bool is_bodiless_status(unsigned status) {
    return status / 100 == 1 || status == 204 || status == 304;
}

/// A bodiless answer whose header announced a body anyway (chunked, or a 204 with a
/// length): whatever the upstream sends after it would be read as the next answer on
/// that connection, so it is not reused.
bool announced_a_body(const http::response_parser<http::buffer_body>& response) {
    const unsigned status = response.get().result_int();
    if (!is_bodiless_status(status)) return false;
    return response.chunked() || (status == 204 && response.content_length().value_or(0) > 0);
}

/// The framing a relayed answer is written with. A 204 states none (RFC 9110 8.6 forbids
/// it); a 304 keeps a Content-Length, which gives the size of the representation it stands
/// for, not a body.
body_framing client_framing(const http::response_parser<http::buffer_body>& response, bool chunked_out) {
    const unsigned status = response.get().result_int();
    if (chunked_out || status == 204 || (is_bodiless_status(status) && status != 304)) {
        return {chunked_out, std::nullopt};
    }
    return {false, response.content_length() ? std::optional<std::uint64_t>(*response.content_length()) : std::nullopt};
}

}  // namespace

asio::awaitable<bool> exchange::read_response_head(std::size_t server) {
    upstream_buffer_.reserve(upstream_read_room);
    for (;;) {
        response_.emplace();
        response_->header_limit(static_cast<std::uint32_t>(pool_->config().max_response_header_bytes));
        response_->body_limit(boost::none);
        if (head_) response_->skip(true);
        upstream_->expires_after(remaining(pool_->config().read_timeout));
        auto [ec, n] = co_await http::async_read_header(*upstream_, upstream_buffer_, *response_,
                                                        nothrow);
        upstream_->expires_never();  // a deadline runs whether or not an operation waits
        if (ec) {
            upstream_failed(server, ec, "read response");
            co_return false;
        }
        const unsigned status = response_->get().result_int();
        if (status < 100) {
            // Three digits, but no status HTTP defines: its framing is anyone's guess.
            upstream_failed(server, http::error::bad_status, "read response");
            co_return false;
        }
        // Interim answers stay here: the gateway answered Expect itself.
        if (status >= 200 || status == 101) co_return true;
    }
}

asio::awaitable<bool> exchange::answer(std::size_t server) {
    auto& res = response_->get();
    if (res.result() == http::status::switching_protocols) {
        if (upgrade_ && switches_to_websocket(res)) co_return co_await switch_protocols(server);
        last_error_ = upgrade_ ? "101 Switching Protocols to another protocol than the websocket asked for"
                               : "101 Switching Protocols to a request that asked for no upgrade";
        drop_upstream(server);
        // The client may already speak the protocol it asked for: nothing more it sends
        // on this connection is read as HTTP.
        client_keep_alive_ = false;
        co_return co_await send_error();
    }
    const bool upstream_keep_alive = res.keep_alive();
    const bool bodiless = head_ || is_bodiless_status(res.result_int());
    // A HEAD answer states the framing its GET would have; 204 and 304 have none to state.
    const bool chunked_in = response_->chunked() && !is_bodiless_status(res.result_int());
    const bool body_until_eof = !chunked_in && !response_->content_length() && !response_->is_done();
    const bool chunked_out = client_version_ >= 11 && (chunked_in || body_until_eof);
    const bool keep_alive = client_.keep_alive_allowed && client_keep_alive_ &&
                            request_.is_done() &&
                            !(client_version_ < 11 && (chunked_in || body_until_eof));
    prepare_client_response(res, client_version_, client_framing(*response_, chunked_out), keep_alive,
                            entry_.request_id);
    // HTTPS: the gateway's HSTS policy, unless the application states its own.
    if (const auto hsts = client_.stream.hsts(); !hsts.empty() && res.count(http::field::strict_transport_security) == 0) {
        res.set(http::field::strict_transport_security, hsts);
    }
    entry_.status = res.result_int();

    http::response_serializer<http::buffer_body> out{res};
    relay_result relayed;
    if (bodiless) {
        client_.stream.expires_after(limits_.write_timeout);
        auto [ec, n] = co_await http::async_write_header(client_.stream, out, nothrow);
        client_.stream.expires_never();
        if (ec) relayed.failed = relay_result::side::destination;
    } else if (chunked_out) {
        relayed = co_await relay_response(*upstream_, upstream_buffer_, *response_, client_.stream,
                                          out, scratch_,
                                          {pool_->config().read_timeout, limits_.write_timeout});
    } else if (const auto length = response_->content_length(); length && !response_->chunked() && !response_->is_done()) {
        relayed = co_await relay_sized_response(*upstream_, upstream_buffer_, res, *length, client_.stream,
                                                scratch_,
                                                {pool_->config().read_timeout, limits_.write_timeout});
    } else {
        // No chunk framing to write: the header as text and the body as it arrives
        // (Beast's serializer walked a buffer sequence per field to say the same).
        relayed = co_await relay_raw_response(*upstream_, upstream_buffer_, *response_, client_.stream,
                                              scratch_,
                                              {pool_->config().read_timeout, limits_.write_timeout});
    }
    entry_.bytes = relayed.bytes;
    if (relayed.failed == relay_result::side::destination) note_client_write_failure();
    if (relayed.failed == relay_result::side::source) {
        upstream_failed(server, relayed.ec, "read response body");
    } else if (relayed.failed == relay_result::side::none && upstream_keep_alive &&
               !body_until_eof && (response_->is_done() || relayed.complete) &&
               upstream_buffer_.size() == 0 && !announced_a_body(*response_)) {
        // Bytes past the answer mean an upstream that sent more than it announced: such a
        // connection is not reused, or they would be read as the next client's answer.
        pool_->park(server, upstream_->release_socket());
        upstream_.reset();
    } else {
        drop_upstream(server);
    }
    finish();
    co_return relayed.failed == relay_result::side::none && keep_alive;
}

asio::awaitable<bool> exchange::switch_protocols(std::size_t server) {
    auto& res = response_->get();
    prepare_client_response(res, client_version_, {}, false, entry_.request_id);
    entry_.status = res.result_int();
    http::response_serializer<http::buffer_body> out{res};
    client_.stream.expires_after(limits_.write_timeout);
    auto [ec, n] = co_await http::async_write_header(client_.stream, out, nothrow);
    if (!ec) {
        co_await run_tunnel(client_.stream, client_.buffer, *upstream_, upstream_buffer_,
                            limits_.idle_timeout);
    } else {
        note_client_write_failure();
    }
    drop_upstream(server);
    finish();
    co_return false;
}

asio::awaitable<bool> exchange::send_error() {
    const bool timeout = last_failure_ == failure::timeout;
    const unsigned status = timeout ? 504 : 502;
    const std::string_view code = timeout ? "upstream_timeout" : "upstream_unavailable";
    const std::string message = std::string(timeout ? "the upstream did not answer in time"
                                                    : "the upstream is unavailable") +
                                " (" + last_error_ + ")";
    log_warn("proxy request failed", {{"request_id", entry_.request_id},
                                      {"upstream", route_.route->upstream},
                                      {"status", status},
                                      {"error", last_error_}});
    auto res = error_response(status, code, message, entry_.request_id);
    // Unread request body bytes would be taken for the next request: close then.
    const bool keep_alive = client_.keep_alive_allowed && client_keep_alive_ && request_.is_done();
    entry_.status = status;
    const auto written = co_await write_gateway_response(
        client_.stream, res, entry_.request_id,
        {client_version_, head_, keep_alive, route_.state->vary(), limits_.write_timeout}, scratch_);
    if (written.error) note_client_write_failure();
    entry_.bytes = written.body_bytes;
    finish();
    co_return !written.error && keep_alive;
}

}  // namespace gateway::proxy_detail
