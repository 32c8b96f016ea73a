#include "gateway/proxy/proxy_handler.hpp"

#include "gateway/http/json_response.hpp"
#include "gateway/proxy/proxy_exchange.hpp"
#include "gateway/proxy/upstream_registry.hpp"

namespace gateway {

asio::awaitable<bool> proxy_handler::relay(connection_handoff client,
                                           http::request_parser<http::string_body>& parser,
                                           relayed_request route, access_entry entry) {
    auto pool = route.state->upstreams().find(route.route->upstream);
    co_return co_await run_exchange(client, parser, std::move(route), std::move(pool), std::move(entry));
}

asio::awaitable<response> proxy_handler::handle(request_context& ctx) {
    co_return error_response(500, "internal_error", "proxy routes are relayed by the session",
                             ctx.request_id);
}

}  // namespace gateway
