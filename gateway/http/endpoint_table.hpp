#pragma once
// Endpoints the gateway answers itself (/livez, /readyz, /health, /metrics, /dashboard,
// /admin/...), found by exact path before the route table, the way Envoy's admin
// handlers are registered: the session and the dispatcher know none of them by name.
// admin/ fills the table once at start-up; it is read-only afterwards.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "conf/config.hpp"
#include "gateway/http/client_origin.hpp"
#include "gateway/http/http_types.hpp"
#include "router/request_target.hpp"

namespace gateway {

class runtime_state;

/// What an endpoint sees of its request; alive until its answer completes.
struct endpoint_request {
    const request& req;                   ///< the complete request, body included
    const router::parsed_target& target;  ///< decoded path and query
    const runtime_state& state;           ///< the configuration of this request
    const client_origin& origin;          ///< who sent it (loopback checks)
    const std::string& request_id;
};

/// One endpoint: a path, its methods and what answers it.
struct endpoint {
    std::string path;
    /// The methods it answers; GET admits HEAD too. Others get 405 with Allow.
    std::vector<http::verb> methods;
    /// False when the configuration switches the endpoint off: its path then goes to
    /// the route table like any other (admin endpoints while admin is disabled).
    std::function<bool(const conf::config&)> enabled;
    std::function<asio::awaitable<response>(endpoint_request)> answer;
};

/// The endpoints by path.
class endpoint_table {
public:
    /// Adds an endpoint; call before serving starts.
    void add(endpoint e);

    /// The enabled endpoint at `path`, or nullptr.
    const endpoint* find(std::string_view path, const conf::config& config) const;

private:
    std::vector<endpoint> endpoints_;  // a handful: a scan beats a map
};

/// True when `e` answers `method` (HEAD where GET is allowed).
bool answers_method(const endpoint& e, http::verb method) noexcept;

/// The 405 of a method the endpoint does not answer, with its Allow list.
response method_not_allowed(const endpoint& e, const std::string& request_id);

}  // namespace gateway
