#include "gateway/http/json_response.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gateway {

response json_response(http::status status, const boost::json::value& body) {
    response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
    return res;
}

response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::string_view request_id) {
    boost::json::object error;
    error["code"] = code;
    error["message"] = message;
    error["requestId"] = request_id;
    boost::json::object body;
    body["error"] = std::move(error);
    return json_response(static_cast<http::status>(status), body);
}

response error_response(const router::http_error& error, std::string_view request_id) {
    response res = error_response(error.status, error.code, error.message, request_id);
    if (!error.allow.empty()) {
        std::string allow;
        for (const auto& method : error.allow) {
            if (!allow.empty()) allow += ", ";
            allow += method;
        }
        res.set(http::field::allow, allow);
    }
    return res;
}

}  // namespace gateway
