#include "gateway/proxy/proxy_exchange.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/http/flat_write.hpp"
#include "gateway/telemetry/request_count.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/proxy/proxy_headers.hpp"
#include "gateway/http/response_headers.hpp"
#include "gateway/http/response_writer.hpp"
#include "gateway/proxy/proxy_relay.hpp"
#include "gateway/proxy/proxy_tunnel.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
// Room for a typical response head and a small body in one read: Beast's default first
// read of 512 bytes split even small answers over two reads and two client writes.
constexpr std::size_t upstream_read_room = 16 * 1024;
using clock = std::chrono::steady_clock;

/// Methods a server may receive twice with the effect of once (RFC 9110 §9.2.2).
bool idempotent(http::verb method) noexcept {
    switch (method) {
        case http::verb::get:
        case http::verb::head:
        case http::verb::options:
        case http::verb::trace:
        case http::verb::put:
        case http::verb::delete_: return true;
        default: return false;
    }
}

/// Counts a request in flight on one server for as long as it lives (least_in_flight).
class in_flight_guard {
public:
    in_flight_guard(upstream_pool& pool, std::size_t server) : pool_(pool), server_(server) {}
    ~in_flight_guard() { pool_.done(server_); }
    in_flight_guard(const in_flight_guard&) = delete;
    in_flight_guard& operator=(const in_flight_guard&) = delete;

private:
    upstream_pool& pool_;
    std::size_t server_;
};

/// The state of one proxied request; lives in run_exchange's coroutine frame.
class exchange {
public:
    exchange(connection_handoff client, http::request_parser<http::string_body>& parser,
             relayed_request route, std::shared_ptr<upstream_pool> pool, access_entry entry);

    asio::awaitable<bool> run();

private:
    enum class attempt_end { answered, retry, client_gone };
    enum class failure { unavailable, timeout };

    void prepare_request();
    asio::awaitable<attempt_end> attempt(std::size_t server);
    asio::awaitable<bool> send_request(std::size_t server, attempt_end& end);
    asio::awaitable<bool> open_connection(std::size_t server);
    asio::awaitable<bool> connect_new(std::size_t server, clock::time_point until);
    asio::awaitable<bool> send_continue();
    asio::awaitable<bool> read_response_head(std::size_t server);
    asio::awaitable<bool> answer(std::size_t server);
    asio::awaitable<bool> switch_protocols(std::size_t server);
    asio::awaitable<bool> send_error();
    void upstream_failed(std::size_t server, const beast::error_code& ec, std::string_view step);
    void drop_upstream(std::size_t server);
    bool retry_safe() const noexcept;
    /// The request body's framing as parsed: what the upstream is told, whatever the
    /// client's fields said.
    body_framing request_framing() const;
    std::chrono::milliseconds remaining(std::chrono::milliseconds cap) const;

    connection_handoff client_;
    http::request_parser<http::buffer_body> request_;
    relayed_request route_;
    std::shared_ptr<upstream_pool> pool_;
    access_entry entry_;
    const conf::limits_config& limits_;
    unsigned client_version_;
    bool client_keep_alive_;
    bool head_;
    bool upgrade_;
    bool expect_continue_;
    bool client_sent_host_;
    std::string stripped_target_;  ///< target after strip_prefix, before the base path
    bool continue_sent_ = false;
    bool body_streamed_ = false;   ///< some of the request body was read from the client
    bool request_sent_ = false;    ///< some attempt wrote the request upstream
    bool reused_ = false;          ///< the current connection came from the idle pool
    failure last_failure_ = failure::unavailable;
    std::string last_error_ = "no server of the upstream is up";
    clock::time_point deadline_{};
    std::optional<beast::tcp_stream> upstream_;
    beast::flat_buffer& upstream_buffer_;  ///< the connection's, kept between requests
    std::optional<http::response_parser<http::buffer_body>> response_;
    std::string& scratch_;  ///< write_flat's buffer, the connection's

    /// Writes the access-log line and counts the request in the metrics.
    void finish();
};

void exchange::finish() {
    if (client_.metrics) count_request(*client_.metrics, entry_);
    log_access(entry_);
}

exchange::exchange(connection_handoff client, http::request_parser<http::string_body>& parser,
                   relayed_request route, std::shared_ptr<upstream_pool> pool, access_entry entry)
    : client_(client),
      request_(std::move(parser)),
      route_(std::move(route)),
      pool_(std::move(pool)),
      entry_(std::move(entry)),
      limits_(route_.state->config().limits),
      upstream_buffer_(client.buffers->upstream),
      scratch_(client.buffers->scratch) {
    entry_.tenant = route_.tenant;
    entry_.route = route_.route->path;
    const auto& header = request_.get();
    client_version_ = header.version();
    client_keep_alive_ = header.keep_alive();
    head_ = header.method() == http::verb::head;
    upgrade_ = is_upgrade_request(header);
    expect_continue_ = beast::iequals(header[http::field::expect], "100-continue");
    client_sent_host_ = header.count(http::field::host) > 0;
    // The body streams through; the upstream applies its own size limit.
    request_.body_limit(boost::none);
}

body_framing exchange::request_framing() const {
    body_framing framing{request_.chunked(), std::nullopt};
    if (!framing.chunked && request_.content_length()) framing.length = *request_.content_length();
    return framing;
}

void exchange::prepare_request() {
    auto& header = request_.get();
    stripped_target_ = upstream_target(header.target(), route_.route->strip_prefix, {});
    forward_facts facts;
    facts.peer_ip = client_.origin->peer_text;
    facts.client_ip = client_.origin->address_text;
    facts.trusted_peer = client_.origin->via_trusted_proxy;
    facts.proto = client_.origin->proto;
    facts.tenant = route_.tenant;
    facts.request_id = entry_.request_id;
    facts.tenant_header = route_.state->config().tenant_resolution.header;
    facts.preserve_host = true;  // per server in send_request
    prepare_upstream_request(header, facts, request_framing(), upgrade_);
}

asio::awaitable<bool> exchange::run() {
    if (!pool_) {
        last_error_ = "no upstream named " + route_.route->upstream;
        co_return co_await send_error();
    }
    prepare_request();
    deadline_ = clock::now() + pool_->config().total_timeout;
    std::vector<bool> tried(pool_->size(), false);
    for (;;) {
        const auto server = pool_->pick(tried);
        if (!server) break;
        in_flight_guard guard(*pool_, *server);
        const auto end = co_await attempt(*server);
        if (end == attempt_end::answered) co_return co_await answer(*server);
        if (end == attempt_end::client_gone) {
            drop_upstream(*server);
            co_return false;
        }
        if (!retry_safe() || clock::now() >= deadline_) break;
        // A parked connection the server closed meanwhile says nothing about the
        // server: it may be tried again (on another parked or a new connection).
        // Bounded: each such failure drops one parked connection.
        if (!reused_) tried[*server] = true;
    }
    co_return co_await send_error();
}

bool exchange::retry_safe() const noexcept {
    return !body_streamed_ && (!request_sent_ || idempotent(request_.get().method()));
}

std::chrono::milliseconds exchange::remaining(std::chrono::milliseconds cap) const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock::now());
    return std::clamp(left, std::chrono::milliseconds(1), cap);
}

asio::awaitable<exchange::attempt_end> exchange::attempt(std::size_t server) {
    if (!co_await open_connection(server)) co_return attempt_end::retry;
    attempt_end end = attempt_end::retry;
    if (!co_await send_request(server, end)) co_return end;
    if (!co_await read_response_head(server)) co_return attempt_end::retry;
    pool_->record_success(server);
    co_return attempt_end::answered;
}

asio::awaitable<bool> exchange::send_request(std::size_t server, attempt_end& end) {
    const auto& address = pool_->address(server);
    const auto& config = pool_->config();
    auto& header = request_.get();
    header.target(upstream_target(stripped_target_, {}, address.base_path));
    if (!config.preserve_host || !client_sent_host_) header.set(http::field::host, address.authority);
    http::request_serializer<http::buffer_body> out{header};
    request_sent_ = true;
    upstream_->expires_after(config.read_timeout);
    if (const auto ec = co_await write_flat(*upstream_, out, scratch_, true); ec) {
        upstream_failed(server, ec, "send");
        co_return false;
    }
    if (!request_.is_done()) {
        if (!co_await send_continue()) {
            end = attempt_end::client_gone;
            co_return false;
        }
        body_streamed_ = true;
    }
    const auto relayed = co_await relay_request(client_.stream, client_.buffer, request_,
                                                *upstream_, out, scratch_,
                                                {limits_.read_timeout, config.read_timeout});
    if (relayed.failed == relay_result::side::source) {
        end = attempt_end::client_gone;
        co_return false;
    }
    if (relayed.failed == relay_result::side::destination) {
        upstream_failed(server, relayed.ec, "send");
        co_return false;
    }
    co_return true;
}

asio::awaitable<bool> exchange::send_continue() {
    if (!expect_continue_ || continue_sent_ || client_version_ < 11) co_return true;
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    client_.stream.expires_after(limits_.write_timeout);
    auto [ec, n] = co_await http::async_write(client_.stream, go_on, nothrow);
    continue_sent_ = !ec;
    co_return !ec;
}

asio::awaitable<bool> exchange::open_connection(std::size_t server) {
    upstream_.reset();
    upstream_buffer_.clear();
    reused_ = false;
    const auto executor = client_.stream.get_executor();
    const auto until = clock::now() + remaining(pool_->config().connect_timeout);
    auto waiter = std::make_shared<slot_waiter>(executor);
    for (;;) {
        if (auto socket = pool_->take_idle(server, executor)) {
            upstream_.emplace(std::move(*socket));
            reused_ = true;
            co_return true;
        }
        if (pool_->reserve_or_wait(server, waiter)) co_return co_await connect_new(server, until);
        if (clock::now() >= until) {
            pool_->stop_waiting(server, waiter);
            last_failure_ = failure::unavailable;
            last_error_ = "every connection to the upstream server is busy";
            co_return false;
        }
        // Woken (cancelled) when a connection to the server is parked or released.
        waiter->timer.expires_at(until);
        co_await waiter->timer.async_wait(nothrow);
    }
}

asio::awaitable<bool> exchange::connect_new(std::size_t server, clock::time_point until) {
    const auto& address = pool_->address(server);
    const auto executor = client_.stream.get_executor();
    upstream_.emplace(executor);
    asio::ip::tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(address.host, std::to_string(address.port), nothrow);
    if (resolve_ec) {
        upstream_failed(server, resolve_ec, "resolve");
        co_return false;
    }
    upstream_->expires_at(until);
    if (auto [ec, endpoint] = co_await upstream_->async_connect(endpoints, nothrow); ec) {
        upstream_failed(server, ec, "connect");
        co_return false;
    }
    beast::error_code ignored;
    upstream_->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    co_return true;
}

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
        if (ec) {
            upstream_failed(server, ec, "read response");
            co_return false;
        }
        const unsigned status = response_->get().result_int();
        // Interim answers stay here: the gateway answered Expect itself.
        if (status < 100 || status >= 200 || status == 101) co_return true;
    }
}

void exchange::upstream_failed(std::size_t server, const beast::error_code& ec,
                               std::string_view step) {
    last_failure_ = ec == beast::error::timeout ? failure::timeout : failure::unavailable;
    last_error_ = std::string(step) + ": " + ec.message();
    // A parked connection the server closed meanwhile says nothing about its health.
    if (!reused_) pool_->record_failure(server, last_error_);
    drop_upstream(server);
}

void exchange::drop_upstream(std::size_t server) {
    if (!upstream_) return;
    beast::error_code ignored;
    upstream_->socket().close(ignored);
    upstream_.reset();
    pool_->release(server);
}

asio::awaitable<bool> exchange::answer(std::size_t server) {
    auto& res = response_->get();
    if (res.result() == http::status::switching_protocols) {
        if (upgrade_) co_return co_await switch_protocols(server);
        last_error_ = "101 Switching Protocols to a request that asked for no upgrade";
        drop_upstream(server);
        co_return co_await send_error();
    }
    const bool upstream_keep_alive = res.keep_alive();
    const bool body_until_eof =
        !response_->chunked() && !response_->content_length() && !response_->is_done();
    const bool chunked_out = client_version_ >= 11 && (response_->chunked() || body_until_eof);
    const bool keep_alive = client_.keep_alive_allowed && client_keep_alive_ &&
                            request_.is_done() &&
                            !(client_version_ < 11 && (response_->chunked() || body_until_eof));
    body_framing framing{chunked_out, std::nullopt};
    if (!chunked_out && response_->content_length()) framing.length = *response_->content_length();
    prepare_client_response(res, client_version_, framing, keep_alive, entry_.request_id);
    entry_.status = res.result_int();

    http::response_serializer<http::buffer_body> out{res};
    relay_result relayed;
    if (head_) {
        client_.stream.expires_after(limits_.write_timeout);
        auto [ec, n] = co_await http::async_write_header(client_.stream, out, nothrow);
        if (ec) relayed.failed = relay_result::side::destination;
    } else {
        relayed = co_await relay_response(*upstream_, upstream_buffer_, *response_, client_.stream,
                                          out, scratch_,
                                          {pool_->config().read_timeout, limits_.write_timeout});
    }
    entry_.bytes = relayed.bytes;
    if (relayed.failed == relay_result::side::source) {
        upstream_failed(server, relayed.ec, "read response body");
    } else if (relayed.failed == relay_result::side::none && upstream_keep_alive &&
               !body_until_eof && response_->is_done()) {
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
    entry_.bytes = written.body_bytes;
    finish();
    co_return !written.error && keep_alive;
}

/// Runs one exchange object to the end (a named coroutine: no capturing lambdas).
asio::awaitable<bool> run_one(exchange& ex) { co_return co_await ex.run(); }

}  // namespace

asio::awaitable<bool> run_exchange(connection_handoff client,
                                   http::request_parser<http::string_body>& parser,
                                   relayed_request route, std::shared_ptr<upstream_pool> pool,
                                   access_entry entry) {
    exchange ex(client, parser, std::move(route), std::move(pool), std::move(entry));
    co_return co_await run_one(ex);
}

}  // namespace gateway
