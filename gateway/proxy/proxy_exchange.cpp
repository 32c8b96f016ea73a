#include "gateway/proxy/proxy_exchange.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/http/client_stream.hpp"
#include "gateway/http/flat_write.hpp"
#include "gateway/http/head_text.hpp"
#include "gateway/http/write_at_once.hpp"
#include "gateway/proxy/proxy_exchange_state.hpp"
#include "gateway/proxy/proxy_headers.hpp"
#include "gateway/proxy/proxy_relay.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/request_count.hpp"

namespace gateway::proxy_detail {

namespace {

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

}  // namespace

void exchange::finish() {
    if (client_.metrics) count_request(*client_.metrics, entry_);
    log_access(entry_);
}

void exchange::finish_client_left(client_phase phase) {
    const bool timed_out = client_.stream.timed_out();
    if (timed_out) count_client_timeout(phase);
    entry_.status = timed_out ? 408 : 499;
    finish();
}

void exchange::note_client_write_failure() {
    if (client_.stream.timed_out()) count_client_timeout(client_phase::write);
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
            finish_client_left(client_left_in_);
            co_return false;
        }
        if (!retry_safe() || clock::now() >= deadline_) break;
        // A parked connection the server closed meanwhile says nothing about the
        // server: it may be tried again (on another parked or a new connection).
        // Bounded: each such failure drops one parked connection. A time-out does say
        // something, on any connection: the server counts as tried (a silent server
        // with many parked connections took one read_timeout each before).
        if (!reused_ || last_failure_ == failure::timeout) tried[*server] = true;
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
    request_sent_ = true;
    upstream_->expires_after(config.read_timeout);
    if (request_.is_done() && !header.chunked()) co_return co_await send_bodiless_request(server);
    http::request_serializer<http::buffer_body> out{header};
    const auto header_ec = co_await write_flat(*upstream_, out, scratch_, true);
    upstream_->expires_never();
    if (header_ec) {
        upstream_failed(server, header_ec, "send");
        co_return false;
    }
    if (!request_.is_done()) {
        if (!co_await send_continue()) {
            client_left_in_ = client_phase::write;
            end = attempt_end::client_gone;
            co_return false;
        }
        body_streamed_ = true;
    }
    const auto relayed = co_await relay_request(client_.stream, client_.buffer, request_,
                                                *upstream_, out, scratch_,
                                                {limits_.read_timeout, config.read_timeout});
    if (relayed.failed == relay_result::side::source) {
        client_left_in_ = client_phase::body;
        end = attempt_end::client_gone;
        co_return false;
    }
    if (relayed.failed == relay_result::side::destination) {
        upstream_failed(server, relayed.ec, "send");
        co_return false;
    }
    co_return true;
}

asio::awaitable<bool> exchange::send_bodiless_request(std::size_t server) {
    // No body follows: the header as text in one write, without Beast's serializer
    // (see gateway/http/head_text.hpp).
    scratch_.clear();
    append_head_text(request_.get().base(), scratch_);
    const auto message = asio::buffer(scratch_);
    const auto ec = co_await write_whole(*upstream_, message);
    upstream_->expires_never();  // a deadline runs whether or not an operation waits
    if (ec) {
        upstream_failed(server, ec, "send");
        co_return false;
    }
    co_return true;
}

asio::awaitable<bool> exchange::send_continue() {
    if (!expect_continue_ || continue_sent_ || client_version_ < 11) co_return true;
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    client_.stream.expires_after(limits_.write_timeout);
    auto [ec, n] = co_await http::async_write(client_.stream, go_on, nothrow);
    client_.stream.expires_never();
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
            upstream_.emplace(std::move(*socket), upstream_deadline());
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
    upstream_.emplace(asio::ip::tcp::socket(executor), upstream_deadline());
    asio::ip::tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(address.host, std::to_string(address.port), nothrow);
    if (resolve_ec) {
        upstream_failed(server, resolve_ec, "resolve");
        co_return false;
    }
    upstream_->expires_at(until);
    auto [connect_ec, endpoint] = co_await upstream_->async_connect(endpoints, nothrow);
    upstream_->expires_never();
    if (connect_ec) {
        upstream_failed(server, connect_ec, "connect");
        co_return false;
    }
    beast::error_code ignored;
    upstream_->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    co_return true;
}

deadline_watch& exchange::upstream_deadline() {
    auto& watch = client_.buffers->upstream_deadline;
    if (!watch) watch.emplace(client_.stream.get_executor());
    return *watch;
}

void exchange::upstream_failed(std::size_t server, const beast::error_code& ec,
                               std::string_view step) {
    const bool timed_out = upstream_ && upstream_->timed_out();
    last_failure_ = timed_out ? failure::timeout : failure::unavailable;
    last_error_ = std::string(step) + ": " + (timed_out ? std::string("timed out") : ec.message());
    // A parked connection the server closed meanwhile says nothing about its health;
    // one that timed out does.
    if (!reused_ || timed_out) pool_->record_failure(server, last_error_);
    drop_upstream(server);
}

void exchange::drop_upstream(std::size_t server) {
    if (!upstream_) return;
    beast::error_code ignored;
    upstream_->socket().close(ignored);
    upstream_.reset();
    pool_->release(server);
}

}  // namespace gateway::proxy_detail

namespace gateway {

namespace {

/// Runs one exchange object to the end (a named coroutine: no capturing lambdas).
asio::awaitable<bool> run_one(proxy_detail::exchange& ex) { co_return co_await ex.run(); }

}  // namespace

asio::awaitable<bool> run_exchange(connection_handoff client,
                                   http::request_parser<http::string_body>& parser,
                                   relayed_request route, std::shared_ptr<upstream_pool> pool,
                                   access_entry entry) {
    proxy_detail::exchange ex(client, parser, std::move(route), std::move(pool), std::move(entry));
    co_return co_await run_one(ex);
}

}  // namespace gateway
