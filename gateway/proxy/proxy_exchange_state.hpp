#pragma once
// The state of one proxied request, shared by the two halves of its code:
// proxy_exchange.cpp (choose a server, connect, send, retry) and proxy_answer.cpp
// (read the upstream's head, relay the answer or switch protocols, or answer 502/504).
// Internal to proxy/: only run_exchange (proxy_exchange.hpp) is its interface.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/http/route_handler.hpp"
#include "gateway/telemetry/client_events.hpp"
#include "gateway/proxy/proxy_headers.hpp"
#include "gateway/proxy/upstream_pool.hpp"
#include "gateway/proxy/upstream_stream.hpp"
#include "gateway/telemetry/access_log.hpp"

namespace gateway::proxy_detail {

inline constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

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
    asio::awaitable<bool> send_bodiless_request(std::size_t server);
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
    /// The client connection's deadline for its upstream sockets.
    deadline_watch& upstream_deadline();

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
    client_phase client_left_in_ = client_phase::body;  ///< with attempt_end::client_gone
    bool request_sent_ = false;    ///< some attempt wrote the request upstream
    bool reused_ = false;          ///< the current connection came from the idle pool
    failure last_failure_ = failure::unavailable;
    std::string last_error_ = "no server of the upstream is up";
    clock::time_point deadline_{};
    std::optional<upstream_stream> upstream_;
    beast::flat_buffer& upstream_buffer_;  ///< the connection's, kept between requests
    std::optional<http::response_parser<http::buffer_body>> response_;
    std::string& scratch_;  ///< write_flat's buffer, the connection's

    /// Writes the access-log line and counts the request in the metrics.
    void finish();
    /// finish() for a request its client left in `phase` (no answer can be written):
    /// 408 when the client was too slow, 499 (nginx's "client closed request") when it
    /// went away.
    void finish_client_left(client_phase phase);
    /// Counts a failed write to the client that its write_timeout cut.
    void note_client_write_failure();
};

}  // namespace gateway::proxy_detail
