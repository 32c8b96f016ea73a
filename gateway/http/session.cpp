#include "gateway/http/session.hpp"

#include <algorithm>
#include <exception>
#include <limits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/http/client_origin.hpp"
#include "gateway/http/connection_tracker.hpp"
#include "gateway/http/graceful_close.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/request_framing.hpp"
#include "gateway/http/request_id.hpp"
#include "gateway/http/response_writer.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/telemetry/client_events.hpp"
#include "gateway/telemetry/log.hpp"
#include "gateway/telemetry/request_count.hpp"

namespace gateway {

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;

/// co_spawn completion of a session: the coroutine catches nothing, so report here.
void report_session_end(std::exception_ptr failure) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        log_error("session failed", {{"error", e.what()}});
    } catch (...) {
        log_error("session failed", {{"error", "unknown exception"}});
    }
}

/// True for errors of the HTTP parser (as opposed to I/O errors and timeouts).
bool is_parse_error(const beast::error_code& ec) {
    static const auto& category = http::make_error_code(http::error::bad_method).category();
    return ec.category() == category && ec != http::error::end_of_stream &&
           ec != http::error::partial_message;
}

/// The client stream of an accepted socket: TLS when an identity is given.
client_stream open_stream(asio::ip::tcp::socket socket, std::shared_ptr<const tls_identity> tls) {
    if (tls) return client_stream(std::move(socket), std::move(tls));
    return client_stream(std::move(socket));
}

}  // namespace

session::session(asio::ip::tcp::socket socket, const asio::ip::address& peer, services& svc,
                 std::shared_ptr<const tls_identity> tls)
    : stream_(open_stream(std::move(socket), std::move(tls))),
      peer_(peer),
      // IPv4-mapped peers are written as IPv4, as client_origin reads them
      peer_text_(unmapped(peer).to_string()),
      svc_(svc) {
    if (stream_.is_tls()) {
        // The handshake's flights and the answers go out in separate writes: Nagle would
        // hold a small one back until the client's delayed ACK of the one before.
        // (Plain connections set it before their second write: client_stream.hpp.)
        beast::error_code ec;
        stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    }
}

session::~session() {
    if (id_ != 0) svc_.connections.remove(id_);
}

void session::start(asio::ip::tcp::socket socket, const asio::ip::address& peer, services& svc,
                    std::shared_ptr<const tls_identity> tls) {
    auto s = std::make_shared<session>(std::move(socket), peer, svc, std::move(tls));
    s->id_ = svc.connections.add(s);
    auto executor = s->executor();
    asio::co_spawn(executor, run(std::move(s)), report_session_end);
}

void session::on_drain() {
    draining_ = true;
    if (!idle_) return;
    // A request already waiting in the socket is served (then the connection closes);
    // only a connection with nothing to say is cut now.
    beast::error_code ec;
    const std::size_t waiting = stream_.socket().available(ec);
    if (!ec && waiting > 0) return;
    stream_.cancel();
}

void session::force_close() { stream_.close(); }

asio::awaitable<void> session::run(std::shared_ptr<session> self) {
    // No co_await inside && or if-conditions: g++ 12 mis-sequences them.
    const bool secured = co_await self->handshake();
    if (!secured) {
        self->stream_.close();  // nothing was said over TLS: no close_notify to send
        co_return;
    }
    for (bool first = true;; first = false) {
        const bool has_request = co_await self->wait_for_request(first);
        if (!has_request) break;
        const bool keep_going = co_await self->serve_one();
        if (!keep_going) break;
    }
    const bool read_to_end = self->input_complete_ && self->buffer_.size() == 0;
    auto kind = close_kind::may_have_input;
    if (read_to_end) kind = self->client_closes_ ? close_kind::client_closes : close_kind::input_complete;
    co_await close_gracefully(self->stream_, kind);
}

asio::awaitable<bool> session::handshake() {
    auto* tls = stream_.tls();
    if (tls == nullptr) co_return true;
    // One bound on the whole handshake: a client that sends nothing, or stops halfway,
    // holds its connection slot no longer than this.
    stream_.expires_after(svc_.state.get()->config().listen.tls.handshake_timeout);
    idle_ = true;  // a drain may cut a connection still shaking hands
    auto [ec, unused] = co_await tls->async_handshake(nothrow);
    idle_ = false;
    if (ec) {
        // Scanners and clients with no common protocol are routine: debug, not warn.
        // OpenSSL's reason names the alert or the protocol problem, never key material.
        const bool timed_out = stream_.timed_out();
        log_debug("TLS handshake failed",
                  {{"client", peer_text_}, {"error", timed_out ? std::string("timed out") : ec.message()}});
        count_tls_handshake_failure();
        if (timed_out) count_client_timeout(client_phase::handshake);
        co_return false;
    }
    co_return true;
}

asio::awaitable<bool> session::wait_for_request(bool first) {
    const auto state = svc_.state.get();
    const auto& limits = state->config().limits;
    if (buffer_.size() > 0) {
        // A pipelined request is already here: at most max_pipelined_requests are answered
        // from what was read ahead, then the connection closes (the client sends the rest
        // again, RFC 9112 §9.3.2).
        if (pipelined_ >= limits.max_pipelined_requests) co_return false;
        ++pipelined_;
        co_return true;
    }
    pipelined_ = 1;
    if (draining_ || svc_.connections.draining()) co_return false;
    // Idle until the first byte: only now may a drain close the connection.
    idle_ = true;
    stream_.expires_after(first ? limits.header_timeout : limits.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(read_chunk), nothrow);
    idle_ = false;
    if (ec) co_return false;
    buffer_.commit(n);
    co_return true;
}

asio::awaitable<bool> session::serve_one() {
    input_complete_ = false;  // until a request is known to be read to its end
    access_entry entry;
    entry.started = std::chrono::steady_clock::now();
    const auto state = svc_.state.get();
    const auto& limits = state->config().limits;

    parser_type parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // No limit while reading the header: a proxied body streams through unlimited;
    // for every other route the limit is set (and Content-Length checked) below.
    parser.body_limit(boost::none);
    stream_.expires_after(limits.header_timeout);
    const auto header_ec =
        co_await read_request_header(stream_, buffer_, parser, limits.max_header_bytes);
    // A deadline runs whether or not an operation waits on the stream: cleared after
    // each one, so time spent on the request itself (a query, an upstream) is not
    // counted against the header's timeout.
    stream_.expires_never();
    if (header_ec) co_return co_await refuse(header_ec, parser, *state, std::move(entry));
    client_closes_ = !parser.get().keep_alive();
    entry.method = parser.get().method_string();
    entry.path = path_without_query(parser.get().target());
    client_origin origin = resolve_client_origin(parser.get(), peer_, peer_text_, state->proxies());
    if (stream_.is_tls() && !origin.via_trusted_proxy) origin.proto = "https";
    entry.client = origin.address_text;
    if (auto field = repeated_singleton_field(parser.get())) {
        co_return co_await refuse_repeated(parser, *field, *state, std::move(entry));
    }
    const request_in_flight in_flight(svc_.metrics);
    entry.request_id = choose_request_id(parser.get()["X-Request-Id"]);
    // The one decision about this request, from its header.
    request_plan plan = plan_request(parser.get(), *state, svc_.endpoints, svc_.handlers, entry.request_id);
    admit_tenant(plan, *state, {svc_.limiter, svc_.metrics, &svc_.registry_limits}, entry.request_id);
    entry.tenant = plan.decision.tenant.code;
    entry.route = plan.route_label();
    if (plan.relays()) co_return co_await relay(parser, std::move(plan), origin, state, std::move(entry));
    if (plan.refusal && plan.handler != nullptr && plan.handler->relays()) {
        // a refused relaying route's body may be of any size: it is never read
        co_return co_await refuse_unread(parser, std::move(*plan.refusal), *state, std::move(entry));
    }
    co_return co_await answer(parser, std::move(plan), origin, std::move(state), std::move(entry));
}

asio::awaitable<bool> session::relay(parser_type& parser, request_plan plan, const client_origin& origin,
                                     std::shared_ptr<const runtime_state> state, access_entry entry) {
    const bool keep_alive_allowed = !draining_ && !svc_.connections.draining();
    input_complete_ = parser.is_done();  // a body being relayed may end early: linger then
    relayed_request route{std::move(state), plan.route(), plan.decision.tenant.code};
    co_return co_await plan.handler->relay({stream_, buffer_, &origin, keep_alive_allowed, &svc_.metrics,
                                            &relay_buffers_},
                                           parser, std::move(route), std::move(entry));
}

asio::awaitable<bool> session::answer(parser_type& parser, request_plan plan, const client_origin& origin,
                                      std::shared_ptr<const runtime_state> state, access_entry entry) {
    const auto& limits = state->config().limits;
    parser.body_limit(limits.max_body_bytes);
    if (const auto length = parser.content_length(); length && *length > limits.max_body_bytes) {
        co_return co_await refuse(http::error::body_limit, parser, *state, std::move(entry));
    }
    const bool go_on = co_await answer_expect(parser, *state, entry);
    if (!go_on) co_return false;
    if (!parser.is_done()) {
        stream_.expires_after(limits.read_timeout);
        const auto [body_ec, body_bytes] = co_await http::async_read(stream_, buffer_, parser, nothrow);
        stream_.expires_never();
        if (body_ec) co_return co_await refuse(body_ec, parser, *state, std::move(entry));
    }
    input_complete_ = true;  // the whole body is read
    request req = parser.release();
    std::shared_ptr<void> keep_until_sent;
    response res = co_await answer_planned(plan, req, state, origin, entry.request_id, executor(), keep_until_sent);
    const reply_options options{req.version(), req.method() == http::verb::head, req.keep_alive(),
                                state->vary(), limits.write_timeout};
    co_return co_await send(std::move(res), std::move(entry), options);
}

asio::awaitable<bool> session::refuse_unread(const parser_type& parser, response refusal,
                                             const runtime_state& state, access_entry entry) {
    const auto& req = parser.get();
    // The body was never read: the connection can serve another request only without one.
    const reply_options options{req.version(), req.method() == http::verb::head,
                                req.keep_alive() && parser.is_done(), state.vary(),
                                state.config().limits.write_timeout};
    co_return co_await send(std::move(refusal), std::move(entry), options);
}

asio::awaitable<bool> session::refuse_repeated(const parser_type& parser, std::string_view field,
                                               const runtime_state& state, access_entry entry) {
    const auto& req = parser.get();
    entry.request_id = choose_request_id(req["X-Request-Id"]);
    auto res = error_response(400, "duplicate_header",
                              "the request has more than one " + std::string(field) + " header",
                              entry.request_id);
    // The body was not read: the connection cannot carry another request.
    co_await send(std::move(res), std::move(entry),
                  {req.version(), false, false, state.vary(),
                   state.config().limits.write_timeout});
    co_return false;
}

asio::awaitable<bool> session::answer_expect(const parser_type& parser, const runtime_state& state,
                                             access_entry& entry) {
    const auto& req = parser.get();
    const auto expect = req[http::field::expect];
    if (expect.empty()) co_return true;
    const auto& limits = state.config().limits;
    if (!beast::iequals(expect, "100-continue")) {
        entry.request_id = choose_request_id(req["X-Request-Id"]);
        auto res = error_response(417, "expectation_failed",
                                  "only \"Expect: 100-continue\" is supported", entry.request_id);
        co_await send(std::move(res), std::move(entry),
                      {req.version(), false, false, state.vary(),
                       limits.write_timeout});
        co_return false;
    }
    // HTTP/1.0 clients know no interim responses; nothing to say when no body follows.
    if (req.version() < 11 || parser.is_done()) co_return true;
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    stream_.expires_after(limits.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, go_on, nothrow);
    stream_.expires_never();
    co_return !ec;
}

asio::awaitable<bool> session::refuse(beast::error_code ec, const parser_type& parser,
                                      const runtime_state& state, access_entry entry) {
    const auto& limits = state.config().limits;
    unsigned status = 400;
    std::string code = "bad_request";
    std::string message = "the request is not valid HTTP/1.1: " + ec.message();
    if (ec == http::error::header_limit) {
        status = 431;
        code = "header_too_large";
        message = "request line and headers exceed " + std::to_string(limits.max_header_bytes) +
                  " bytes";
    } else if (ec == http::error::body_limit) {
        status = 413;
        code = "body_too_large";
        message = "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes";
    } else if (!is_parse_error(ec)) {
        record_abandoned(parser, std::move(entry));
        co_return false;  // timeout, reset or end of stream: nobody to answer
    }
    unsigned version = 11;
    if (parser.is_header_done()) {
        const auto& req = parser.get();
        entry.request_id = choose_request_id(req["X-Request-Id"]);
        entry.method = req.method_string();
        entry.path = path_without_query(req.target());
        version = req.version();
    } else {
        entry.request_id = generate_request_id();
    }
    auto res = error_response(status, code, message, entry.request_id);
    co_await send(std::move(res), std::move(entry),
                  {version, false, false, state.vary(), limits.write_timeout});
    co_return false;  // the stream position is unknown after a parse error: close
}

void session::record_abandoned(const parser_type& parser, access_entry entry) {
    const bool timed_out = stream_.timed_out();
    if (!parser.is_header_done()) {
        // Only a client too slow to finish a header it started is recorded (nginx's 408);
        // one that closed halfway is gone, and an idle one never started a request.
        if (!timed_out) return;
        count_client_timeout(client_phase::header);
        entry.request_id = generate_request_id();
    } else {
        // The request was known: it is logged and counted as the client left it, 408 for
        // a body that stopped coming, 499 (nginx's "client closed request") for one cut.
        if (timed_out) count_client_timeout(client_phase::body);
        const auto& req = parser.get();
        entry.request_id = choose_request_id(req["X-Request-Id"]);
        entry.method = req.method_string();
        entry.path = path_without_query(req.target());
    }
    if (entry.client.empty()) entry.client = peer_text_;  // the header never said more
    entry.status = timed_out ? 408 : 499;
    count_request(svc_.metrics, entry);
    log_access(entry);
}

asio::awaitable<bool> session::send(response res, access_entry entry, reply_options options) {
    // The last answer from a read-ahead with more requests in it says it closes.
    const bool pipeline_full =
        buffer_.size() > 0 && pipelined_ >= svc_.state.get()->config().limits.max_pipelined_requests;
    options.keep_alive = options.keep_alive && !draining_ && !svc_.connections.draining() && !pipeline_full;
    entry.status = res.result_int();
    // Counted before the write, so a client that has its answer also finds it counted.
    count_request(svc_.metrics, entry);
    const auto written = co_await write_gateway_response(stream_, res, entry.request_id, options, write_scratch_);
    if (written.error && stream_.timed_out()) count_client_timeout(client_phase::write);
    entry.bytes = written.body_bytes;
    log_access(entry);
    co_return !written.error && options.keep_alive;
}

}  // namespace gateway
