#pragma once
// The dispatcher's one question about a request's bearer token. http/ sits below auth/,
// so the token rules live in auth/ (route_access) and reach the dispatcher through this
// interface; the dispatcher asks once per request and hands the answer to the handler,
// so no token is ever verified twice.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway {

/// The claims of a verified token; `claims` holds every scalar claim as text.
struct verified_token {
    std::string tenant;
    std::string subject;
    std::int64_t expires_at = 0;  ///< seconds since the epoch
    std::vector<std::pair<std::string, std::string>> claims;
};

/// Why a request may not use its route: 401 unauthorized, 403 tenant_mismatch,
/// 503 auth_unavailable.
struct access_refusal {
    unsigned status = 401;
    std::string code;
    std::string message;
};

/// Checks bearer tokens; built per configuration (its keys), immutable, thread-safe.
class access_gate {
public:
    virtual ~access_gate() = default;

    /// The token of an `Authorization` value, verified. Called at most once per request.
    virtual std::optional<verified_token> verify(std::string_view authorization,
                                                 std::string_view request_id) const = 0;

    /// Why a route may not serve the request, or nullopt when it may. `token` is what
    /// verify() returned; the dispatcher always asks verify() first for a route with
    /// `auth_required`, which needs a valid token of `tenant` when one is named.
    virtual std::optional<access_refusal> admit(std::string_view authorization,
                                                const std::optional<verified_token>& token,
                                                bool auth_required,
                                                const std::optional<std::string>& tenant) const = 0;
};

}  // namespace gateway
