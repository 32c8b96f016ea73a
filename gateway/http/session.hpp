#pragma once
// One client connection: a coroutine that reads a request, answers it, and repeats
// while the connection is kept alive. Pipelined requests are answered in order because
// each one is read, handled and written before the next is read from the same buffer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "gateway/http/client_stream.hpp"
#include "gateway/http/dispatcher.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/response_writer.hpp"
#include "gateway/http/route_handler.hpp"
#include "gateway/http/services.hpp"
#include "gateway/telemetry/access_log.hpp"

namespace gateway {

class runtime_state;

/// The state of one client connection. All of it is touched only on its event loop.
class session {
public:
    /// Takes over an accepted socket from `peer` (as accept reported it); its executor
    /// is the event loop that serves it. With `tls` the connection is HTTPS: the
    /// handshake presents that identity.
    session(asio::ip::tcp::socket socket, const asio::ip::address& peer, services& svc,
            std::shared_ptr<const tls_identity> tls = nullptr);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Registers a new connection with the tracker and starts serving it (over TLS
    /// when `tls` is set: the handshake counts against the connection cap).
    static void start(asio::ip::tcp::socket socket, const asio::ip::address& peer, services& svc,
                      std::shared_ptr<const tls_identity> tls = nullptr);

    /// The connection's event loop.
    asio::any_io_executor executor() { return stream_.get_executor(); }

    /// Drain requested: an idle connection closes now, a busy one after its response.
    void on_drain();

    /// Closes the connection at once, whatever it is doing.
    void force_close();

private:
    using parser_type = http::request_parser<http::string_body>;

    static asio::awaitable<void> run(std::shared_ptr<session> self);
    asio::awaitable<bool> handshake();
    asio::awaitable<bool> wait_for_request(bool first);
    asio::awaitable<bool> serve_one();
    asio::awaitable<bool> answer_expect(const parser_type& parser, const runtime_state& state,
                                        access_entry& entry);
    asio::awaitable<bool> relay(parser_type& parser, request_plan plan, const client_origin& origin,
                                std::shared_ptr<const runtime_state> state, access_entry entry);
    asio::awaitable<bool> refuse_unread(const parser_type& parser, response refusal,
                                        const runtime_state& state, access_entry entry);
    asio::awaitable<bool> answer(parser_type& parser, request_plan plan, const client_origin& origin,
                                 std::shared_ptr<const runtime_state> state, access_entry entry);
    asio::awaitable<bool> refuse_repeated(const parser_type& parser, std::string_view field,
                                          const runtime_state& state, access_entry entry);
    /// Logs and counts a request its client stopped sending (408 when too slow, 499 when
    /// gone), and a header cut off by header_timeout; nothing can be answered.
    void record_abandoned(const parser_type& parser, access_entry entry);
    asio::awaitable<bool> refuse(beast::error_code ec, const parser_type& parser,
                                 const runtime_state& state, access_entry entry);
    asio::awaitable<bool> send(response res, access_entry entry, reply_options options);

    client_stream stream_;
    beast::flat_buffer buffer_;
    asio::ip::address peer_;  ///< the TCP peer's address, from accept
    std::string peer_text_;   ///< the same as text (IPv4-mapped as IPv4), formatted once
    std::string write_scratch_;  ///< reused by write_flat for every response
    relay_buffers relay_buffers_;  ///< reused by every relayed (proxied) request
    services& svc_;
    std::uint64_t id_ = 0;  ///< tracker id, 0 until registered
    bool idle_ = false;     ///< waiting for the first byte of the next request
    std::size_t pipelined_ = 0;  ///< requests answered from the current read-ahead
    bool draining_ = false;
    bool input_complete_ = false;  ///< the last request was read to its end (no linger at close)
    bool client_closes_ = false;   ///< the last request said the client closes after it
};

}  // namespace gateway
