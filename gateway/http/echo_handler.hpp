#pragma once
// kind: echo — answers with what the gateway understood of the request. Useful to
// check tenant resolution and route matching without any database behind.

#include <string_view>

#include "conf/config.hpp"
#include "gateway/http/route_handler.hpp"

namespace gateway {

/// The short name of a tenant source as it appears in JSON: "query", "subdomain", ...
std::string_view tenant_source_name(conf::tenant_source source) noexcept;

/// Answers {"tenant","tenantSource","route","method","path","params","query"}.
class echo_handler final : public route_handler {
public:
    /// Builds the echo body; never fails.
    asio::awaitable<response> handle(request_context& ctx) override;
};

}  // namespace gateway
