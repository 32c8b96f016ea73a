#include "gateway/http/endpoint_table.hpp"

#include <algorithm>

#include "gateway/http/json_response.hpp"

namespace gateway {

void endpoint_table::add(endpoint e) { endpoints_.push_back(std::move(e)); }

const endpoint* endpoint_table::find(std::string_view path, const conf::config& config) const {
    for (const auto& e : endpoints_) {
        if (e.path == path && (!e.enabled || e.enabled(config))) return &e;
    }
    return nullptr;
}

bool answers_method(const endpoint& e, http::verb method) noexcept {
    const auto has = [&e](http::verb v) { return std::find(e.methods.begin(), e.methods.end(), v) != e.methods.end(); };
    return has(method) || (method == http::verb::head && has(http::verb::get));
}

response method_not_allowed(const endpoint& e, const std::string& request_id) {
    std::vector<std::string> allow;
    for (const auto v : e.methods) {
        allow.emplace_back(http::to_string(v));
        if (v == http::verb::get) allow.emplace_back("HEAD");
    }
    std::string message = "use " + allow.front();
    for (std::size_t i = 1; i < allow.size(); ++i) message += (i + 1 == allow.size() ? " or " : ", ") + allow[i];
    return error_response(router::http_error{405, "method_not_allowed", std::move(message), std::move(allow)},
                          request_id);
}

}  // namespace gateway
