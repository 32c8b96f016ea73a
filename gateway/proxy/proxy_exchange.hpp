#pragma once
// One proxied request from the header on: choose a server, send, relay, answer.
//
// Retries: another server is tried when connecting fails (nothing was sent), or when
// the request is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), none of its body
// was read from the client yet, and the upstream failed before answering.
// Timeouts: connect_timeout per connection attempt; read_timeout per read from (and
// write to) the upstream; total_timeout bounds everything until the response head
// arrives, retries included (a large body then streams as long as it keeps moving).
// Errors before the response head: 502 upstream_unavailable, or 504 upstream_timeout
// when the last attempt timed out. After the head went out, a failure closes the
// client connection: a second response would be read as part of the first.

#include <memory>

#include <boost/beast/http/parser.hpp>

#include "gateway/telemetry/access_log.hpp"
#include "gateway/proxy/proxy_handler.hpp"
#include "gateway/proxy/upstream_pool.hpp"

namespace gateway {

/// Runs the exchange; `pool` null answers 502. True when the client connection may
/// serve another request.
asio::awaitable<bool> run_exchange(connection_handoff client,
                                   http::request_parser<http::string_body>& parser,
                                   relayed_request route, std::shared_ptr<upstream_pool> pool,
                                   access_entry entry);

}  // namespace gateway
