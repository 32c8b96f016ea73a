#include "gateway/session.hpp"

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

#include "gateway/admin_tenants.hpp"
#include "gateway/client_origin.hpp"
#include "gateway/connection_tracker.hpp"
#include "gateway/dispatcher.hpp"
#include "gateway/flat_write.hpp"
#include "gateway/graceful_close.hpp"
#include "gateway/proxy_framing.hpp"
#include "gateway/proxy_handler.hpp"
#include "gateway/health_endpoints.hpp"
#include "gateway/json_response.hpp"
#include "gateway/log.hpp"
#include "gateway/request_id.hpp"
#include "gateway/response_headers.hpp"
#include "gateway/runtime_state.hpp"

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

}  // namespace

session::session(asio::ip::tcp::socket socket, services& svc)
    : stream_(std::move(socket)), svc_(svc) {
    beast::error_code ec;
    // Responses go out in one write, proxied ones in pieces: Nagle would hold a small
    // last piece back until the client's delayed ACK of the previous one.
    stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    peer_ = stream_.socket().remote_endpoint(ec).address();
    // IPv4-mapped peers are written as IPv4, as client_origin reads them
    peer_text_ = ec ? std::string("unknown") : unmapped(peer_).to_string();
}

session::~session() {
    if (id_ != 0) svc_.connections.remove(id_);
}

void session::start(asio::ip::tcp::socket socket, services& svc) {
    auto s = std::make_shared<session>(std::move(socket), svc);
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
    for (bool first = true;; first = false) {
        const bool has_request = co_await self->wait_for_request(first);
        if (!has_request) break;
        const bool keep_going = co_await self->serve_one();
        if (!keep_going) break;
    }
    co_await close_gracefully(self->stream_);
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
    if (header_ec) co_return co_await refuse(header_ec, parser, *state, std::move(entry));
    entry.method = parser.get().method_string();
    entry.path = path_without_query(parser.get().target());
    const client_origin origin = resolve_client_origin(parser.get(), peer_, peer_text_, state->proxies());
    entry.client = origin.address_text;
    if (auto field = repeated_singleton_field(parser.get())) {
        co_return co_await refuse_repeated(parser, *field, *state, std::move(entry));
    }
    const in_flight_guard in_flight(svc_.monitor.metrics);
    // A proxied body is streamed to the upstream, never read whole here.
    if (auto* proxy = find_proxy_handler(svc_.handlers)) {
        entry.request_id = choose_request_id(parser.get()["X-Request-Id"]);
        if (auto route = proxy->match(parser.get(), state, entry.request_id)) {
            if (route->refusal) co_return co_await refuse_proxied(parser, std::move(*route), std::move(entry));
            const bool keep_alive_allowed = !draining_ && !svc_.connections.draining();
            co_return co_await proxy->serve({stream_, buffer_, &origin, keep_alive_allowed,
                                             &svc_.monitor, &proxy_buffers_},
                                            parser, std::move(*route), std::move(entry));
        }
    }
    parser.body_limit(limits.max_body_bytes);
    if (const auto length = parser.content_length(); length && *length > limits.max_body_bytes) {
        co_return co_await refuse(http::error::body_limit, parser, *state, std::move(entry));
    }
    const bool go_on = co_await answer_expect(parser, *state, entry);
    if (!go_on) co_return false;
    if (!parser.is_done()) {
        stream_.expires_after(limits.read_timeout);
        const auto [body_ec, body_bytes] =
            co_await http::async_read(stream_, buffer_, parser, nothrow);
        if (body_ec) co_return co_await refuse(body_ec, parser, *state, std::move(entry));
    }

    request req = parser.release();
    if (entry.request_id.empty()) entry.request_id = choose_request_id(req["X-Request-Id"]);
    const auto& peer = origin.address;
    dispatch_outcome outcome;
    // /readyz, /health, /metrics and /dashboard are answered here: they need the peer
    // address (loopback access) and the monitor, which the dispatcher does not see.
    std::optional<response> admin;
    if (is_admin_tenants_path(req.target())) {
        // /admin/tenants and /admin/registry/reload also need the peer address
        admin = co_await admin_tenants_response(&req, peer, state, &svc_.handlers, entry.request_id);
    }
    if (auto monitored = monitoring_response(req, peer, *state, svc_.monitor, entry.request_id)) {
        outcome.res = std::move(*monitored);
    } else if (admin) {
        outcome.res = std::move(*admin);
    } else {
        outcome = co_await dispatch(req, entry.request_id, state, svc_.handlers, executor(),
                                    origin.address_text);
    }
    entry.tenant = std::move(outcome.tenant);
    entry.route = std::move(outcome.route);
    const reply_options options{req.version(), req.method() == http::verb::head,
                                req.keep_alive(), limits.write_timeout,
                                state->vary()};
    co_return co_await send(std::move(outcome.res), std::move(entry), options);
}

asio::awaitable<bool> session::refuse_proxied(const parser_type& parser, proxy_route route,
                                              access_entry entry) {
    const auto& req = parser.get();
    entry.tenant = route.tenant;
    entry.route = route.route->path;
    // The body was never read: the connection can serve another request only without one.
    const reply_options options{req.version(), req.method() == http::verb::head,
                                req.keep_alive() && parser.is_done(),
                                route.state->config().limits.write_timeout,
                                route.state->vary()};
    co_return co_await send(std::move(*route.refusal), std::move(entry), options);
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
                  {req.version(), false, false, state.config().limits.write_timeout,
                   state.vary()});
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
                      {req.version(), false, false, limits.write_timeout,
                       state.vary()});
        co_return false;
    }
    // HTTP/1.0 clients know no interim responses; nothing to say when no body follows.
    if (req.version() < 11 || parser.is_done()) co_return true;
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    stream_.expires_after(limits.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, go_on, nothrow);
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
                  {version, false, false, limits.write_timeout, state.vary()});
    co_return false;  // the stream position is unknown after a parse error: close
}

asio::awaitable<bool> session::send(response res, access_entry entry, reply_options options) {
    // The last answer from a read-ahead with more requests in it says it closes.
    const bool pipeline_full =
        buffer_.size() > 0 && pipelined_ >= svc_.state.get()->config().limits.max_pipelined_requests;
    const bool keep_alive =
        options.keep_alive && !draining_ && !svc_.connections.draining() && !pipeline_full;
    res.version(options.version);
    finish_gateway_response(res, entry.request_id, options.vary);
    res.keep_alive(keep_alive);
    entry.status = res.result_int();
    // Counted before the write, so a client that has its answer also finds it counted.
    count_request(svc_.monitor, entry);
    stream_.expires_after(options.write_timeout);
    beast::error_code ec;
    if (options.head) {
        // Same headers as GET, Content-Length included, and no body.
        http::response<http::empty_body> head{std::move(res.base())};
        http::response_serializer<http::empty_body> out{head};
        ec = co_await write_flat(stream_, out, write_scratch_);
    } else {
        entry.bytes = res.body().size();
        http::response_serializer<http::string_body> out{res};
        ec = co_await write_flat(stream_, out, write_scratch_);
    }
    log_access(entry);
    co_return !ec && keep_alive;
}

}  // namespace gateway
