#include "gateway/http/echo_handler.hpp"

#include <boost/json/object.hpp>

#include "gateway/http/json_response.hpp"
#include "router/utf8.hpp"

namespace gateway {

std::string_view tenant_source_name(conf::tenant_source source) noexcept {
    switch (source) {
        case conf::tenant_source::query: return "query";
        case conf::tenant_source::subdomain: return "subdomain";
        case conf::tenant_source::header: return "header";
        case conf::tenant_source::token: return "token";
    }
    return "unknown";
}

namespace {

/// Client text as a JSON string: the echo shows what it received rather than refusing it,
/// so each ill-formed UTF-8 sequence becomes U+FFFD and the answer stays valid JSON.
boost::json::string echoed(std::string_view text) {
    return boost::json::string(router::to_valid_utf8(text));
}

/// Pairs as a JSON object; for a repeated key the first value wins, as in routing.
boost::json::object pairs_object(const std::vector<std::pair<std::string, std::string>>& pairs) {
    boost::json::object object;
    for (const auto& [key, value] : pairs) {
        const std::string name = router::to_valid_utf8(key);
        if (!object.contains(name)) object[name] = echoed(value);
    }
    return object;
}

}  // namespace

asio::awaitable<response> echo_handler::handle(request_context& ctx) {
    const auto& tenant = ctx.decision.tenant;
    boost::json::object body;
    if (tenant.code) {
        body["tenant"] = *tenant.code;
        body["tenantSource"] = tenant_source_name(tenant.source);
    } else {
        body["tenant"] = nullptr;
        body["tenantSource"] = nullptr;
    }
    body["route"] = ctx.decision.match.route->path;
    body["method"] = std::string_view(ctx.req.method_string());
    body["path"] = echoed(ctx.target.path);
    body["params"] = pairs_object(ctx.decision.match.path_params);
    body["query"] = pairs_object(ctx.target.query);
    co_return json_response(http::status::ok, body);
}

}  // namespace gateway
