#pragma once
// The steps SQL and login routes share: checking the bearer token, finding the tenant
// in the registry and its connection target, reading the JSON body, turning bound
// parameters into typed SQL parameters, and mapping database errors to responses.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gateway/auth/token_authority.hpp"
#include "gateway/http/route_handler.hpp"
#include "gateway/sql/tenant_backend.hpp"
#include "router/param_binding.hpp"
#include "tds_pool/outcome.hpp"
#include "tds_pool/registry/registry_record.hpp"

namespace gateway {

/// A tenant ready to be queried, or the response refusing the request.
struct tenant_access {
    std::optional<response> refusal;  ///< set: answer with it
    std::string code;
    tds_pool::connection_target target;
    std::optional<verified_token> token;  ///< set when the request carried a valid one
};

/// Picks the tenant (the request's, else the token's; 400 tenant_required), finds it in
/// the registry (404 tenant_not_found when unknown or inactive, 503 registry_unavailable)
/// and resolves its credentials (503 tenant_credentials_unavailable).
asio::awaitable<tenant_access> open_tenant(tenant_backend* backend, const request_context* ctx);

/// The fields of a JSON object body (empty body: none), or a 400 response
/// (invalid_json: not JSON, too deeply nested, or not an object).
std::variant<router::input_fields, response> body_fields(const request& req,
                                                         const std::string& request_id);

/// Claims of a verified token as binding inputs.
router::input_fields claim_fields(const verified_token& token);

/// Typed sp_executesql parameters from bound values.
std::vector<tds_pool::sql_param> to_sql_params(const std::vector<router::bound_param>& bound);

/// 400 validation_failed with details [{field, problem}].
response validation_response(const std::vector<router::field_problem>& problems,
                             const std::string& request_id);

/// The response for a failed database operation: stable codes, no server text; a busy
/// pool's 503 says Retry-After `retry_after.pool_busy`.
response db_error_response(const tds_pool::db_error& error, const std::string& tenant,
                           const std::string& request_id, const conf::retry_after_config& retry_after);

/// The deadline of one database operation: acquire wait plus the query time-out.
std::chrono::steady_clock::time_point db_deadline(const conf::config& config,
                                                  const conf::route_config& route);

}  // namespace gateway
