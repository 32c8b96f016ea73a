#include "gateway/admin/admin_config_reload.hpp"

#include <boost/json/object.hpp>

#include "gateway/auth/operator_access.hpp"
#include "gateway/http/json_response.hpp"
#include "gateway/http/runtime_state.hpp"

namespace gateway {

namespace {

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

asio::awaitable<response> admin_config_reload_answer(endpoint_request request, const config_reload_function* reload) {
    const auto& admin = request.state.config().admin;
    if (auto denied = check_access(admin.access, admin.token, request.req, request.origin.address, request.request_id)) {
        co_return std::move(*denied);
    }
    co_return reload_response(co_await (*reload)(), request.request_id);
}

}  // namespace gateway
