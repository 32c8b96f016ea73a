#include "gateway/proxy/proxy_handler.hpp"

#include "gateway/http/json_response.hpp"
#include "gateway/proxy/proxy_exchange.hpp"

namespace gateway {

void proxy_handler::configure(const conf::config& config, asio::any_io_executor executor) {
    upstreams_.configure(config.upstreams, std::move(executor));
}

asio::awaitable<bool> proxy_handler::relay(connection_handoff client,
                                           http::request_parser<http::string_body>& parser,
                                           relayed_request route, access_entry entry) {
    auto pool = upstreams_.find(route.route->upstream);
    co_return co_await run_exchange(client, parser, std::move(route), std::move(pool), std::move(entry));
}

asio::awaitable<response> proxy_handler::handle(request_context& ctx) {
    co_return error_response(500, "internal_error", "proxy routes are relayed by the session",
                             ctx.request_id);
}

proxy_handler* find_proxy_handler(const handler_set& handlers) noexcept {
    return dynamic_cast<proxy_handler*>(handlers.find(conf::route_kind::proxy));
}

}  // namespace gateway
