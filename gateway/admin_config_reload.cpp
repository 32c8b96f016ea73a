#include "gateway/admin_config_reload.hpp"

#include <boost/json/object.hpp>

#include "gateway/config_reload.hpp"
#include "gateway/health_access.hpp"
#include "gateway/json_response.hpp"
#include "router/request_target.hpp"

namespace gateway {

namespace {

constexpr std::string_view reload_path = "/admin/config/reload";

/// Access and method; the refusal, or nullopt when the reload may run.
std::optional<response> refusal(const request& req, const asio::ip::address& remote,
                                const conf::admin_config& admin, std::string_view request_id) {
    if (auto denied = check_access(admin.access, admin.token, req, remote, request_id)) return denied;
    if (req.method() != http::verb::post) {
        return error_response(router::http_error{405, "method_not_allowed", "use POST", {"POST"}}, request_id);
    }
    return std::nullopt;
}

response reload_response(const reload_result& result, std::string_view request_id) {
    if (!result.reloaded) {
        // 422: the request was fine, the file it asks to apply is not
        return error_response(422, "config_rejected", result.reason, request_id);
    }
    return json_response(http::status::ok, boost::json::object{{"reloaded", true},
                                                               {"routes", result.routes},
                                                               {"upstreams", result.upstreams}});
}

}  // namespace

bool is_config_reload_path(std::string_view target) noexcept {
    return target.substr(0, target.find('?')) == reload_path;
}

asio::awaitable<std::optional<response>> config_reload_response(const request* req, asio::ip::address remote,
                                                                std::shared_ptr<const runtime_state> state,
                                                                config_reloader* reloader,
                                                                std::string request_id) {
    std::optional<response> out;
    const auto& admin = state->config().admin;
    if (admin.enabled && is_config_reload_path(req->target())) {
        out = refusal(*req, remote, admin, request_id);
        if (!out) out = reload_response(co_await reloader->reload_off_loop(), request_id);
    }
    co_return out;
}

}  // namespace gateway
