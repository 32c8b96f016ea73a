#pragma once
// kind: sql routes. The route's configured SQL runs on the tenant's pool with its
// declared parameters bound from the path, query string, JSON body and token claims;
// request data is only ever a parameter value. Rows come back as JSON (see
// result_json.hpp for the type mapping and the result modes).

#include <memory>
#include <optional>

#include "gateway/auth/token_authority.hpp"
#include "gateway/http/route_handler.hpp"
#include "gateway/sql/sql_handler_backend.hpp"
#include "router/param_binding.hpp"

namespace gateway {

/// Answers sql routes; shares the db_backend with the login handler.
class sql_handler final : public route_handler {
public:
    explicit sql_handler(std::shared_ptr<db_backend_slot> backend);

    /// Runs the route's statement for the request's tenant.
    asio::awaitable<response> handle(request_context& ctx) override;
    /// The shared backend; nullptr before configure().
    db_backend* backend() const noexcept { return backend_->get(); }
    /// Builds the shared backend on first use; refreshes the registry on reloads.
    void configure(const conf::config& config, asio::any_io_executor executor) override;

private:
    std::shared_ptr<db_backend_slot> backend_;
};

/// The binding inputs of a request: path captures, query string, body fields, claims.
router::binding_inputs request_inputs(const request_context& ctx, router::input_fields body,
                                      const std::optional<verified_token>& token);

class handler_set;

/// Installs the sql and login handlers, sharing one backend slot.
void install_db_handlers(handler_set& handlers);

/// The backend of the installed sql handler once configured; nullptr otherwise.
db_backend* find_db_backend(const handler_set& handlers);

}  // namespace gateway
