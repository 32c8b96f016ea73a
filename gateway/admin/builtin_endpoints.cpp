#include "gateway/admin/builtin_endpoints.hpp"

#include <boost/json/object.hpp>

#include "gateway/http/json_response.hpp"

namespace gateway {

namespace {

/// GET /livez: the process is up and its event loop answers.
response livez() {
    boost::json::object body;
    body["status"] = "ok";
    return json_response(http::status::ok, body);
}

}  // namespace

std::optional<response> builtin_response(std::string_view method, std::string_view path,
                                         const runtime_state& state,
                                         std::string_view request_id) {
    (void)state;  // /health, /metrics and /admin/* will read their settings from it
    const bool readable = method == "GET" || method == "HEAD";
    if (path == "/livez") {
        if (!readable) {
            router::http_error error{405, "method_not_allowed", "use GET or HEAD", {"GET", "HEAD"}};
            return error_response(error, request_id);
        }
        return livez();
    }
    // Next built-ins go here, in this order: /readyz, /health, /metrics, /admin/*.
    return std::nullopt;
}

}  // namespace gateway
