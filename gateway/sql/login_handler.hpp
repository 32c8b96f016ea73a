#pragma once
// kind: login routes. POST {"username","password"} for a tenant: the route's SQL looks
// the user up on the tenant's database (its params bind as for sql routes, e.g.
// `username` from the body). The query must return the columns `user_id` and
// `password_hash` (alias them); every other column is returned in "user". The hash is a
// crypt(3) string verified with libxcrypt. Unknown users and wrong passwords get the
// same 401 invalid_credentials after the same work (a dummy hash of the tenant's own
// scheme and cost is verified when the user is missing, gateway/auth/login_dummy.hpp).
// Every attempt first takes a slot of its account's and its client address's budgets
// (gateway/auth/login_limiter.hpp), and with auth.login_limit.shared the same slots in
// Redis for every instance (gateway/auth/login_slots.hpp); a spent budget answers 429
// with Retry-After. When the row the database found has its own budget spent (by other
// spellings of its name), the attempt is answered as a wrong password after a dummy
// check, its hash never tried.
// Success: {"token", "expiresAt", "user": {...}} with an HS256 token for the tenant.

#include <memory>

#include "gateway/http/route_handler.hpp"
#include "gateway/sql/tenant_backend.hpp"

namespace gateway {

/// Answers login routes.
class login_handler final : public route_handler {
public:
    /// `backend` must outlive every request this handler serves.
    explicit login_handler(tenant_backend& backend) : backend_(backend) {}

    /// Verifies the credentials and issues a token.
    asio::awaitable<response> handle(request_context& ctx) override;

private:
    tenant_backend& backend_;
};

}  // namespace gateway
