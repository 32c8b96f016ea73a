#pragma once
// kind: sql routes. The route's configured SQL runs on the tenant's pool with its
// declared parameters bound from the path, query string, JSON body and token claims;
// request data is only ever a parameter value. Rows come back as JSON (see
// result_json.hpp for the type mapping and the result modes).

#include <memory>
#include <optional>

#include "gateway/auth/token_authority.hpp"
#include "gateway/http/route_handler.hpp"
#include "gateway/sql/tenant_backend.hpp"
#include "router/param_binding.hpp"

namespace gateway {

/// Answers sql routes on the process's tenant backend.
class sql_handler final : public route_handler {
public:
    /// `backend` must outlive every request this handler serves.
    explicit sql_handler(tenant_backend& backend) : backend_(backend) {}

    /// Runs the route's statement for the request's tenant.
    asio::awaitable<response> handle(request_context& ctx) override;

private:
    tenant_backend& backend_;
};

/// The binding inputs of a request: path captures, query string, body fields, claims.
router::binding_inputs request_inputs(const request_context& ctx, router::input_fields body,
                                      const std::optional<verified_token>& token);

class handler_set;

/// Installs the sql and login handlers over `backend`.
void install_db_handlers(handler_set& handlers, tenant_backend& backend);


}  // namespace gateway
