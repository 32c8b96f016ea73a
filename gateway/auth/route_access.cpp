#include "gateway/auth/route_access.hpp"

#include <atomic>
#include <chrono>
#include <variant>

#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

std::atomic<std::uint64_t> verified_count{0};

access_refusal unauthorized(std::string message) { return {401, "unauthorized", std::move(message)}; }

}  // namespace

std::optional<verified_token> route_access::verify(std::string_view authorization,
                                                   std::string_view request_id) const {
    const std::string_view bearer = bearer_token(authorization);
    if (bearer.empty() || !tokens_) return std::nullopt;
    verified_count.fetch_add(1, std::memory_order_relaxed);
    auto verified = tokens_->verify(bearer, std::chrono::system_clock::now());
    if (auto* problem = std::get_if<token_problem>(&verified)) {
        // the reason is for the operator; the client only ever hears "invalid or expired"
        log_info("token refused", {{"request_id", request_id}, {"reason", problem->reason}});
        return std::nullopt;
    }
    return std::get<verified_token>(std::move(verified));
}

std::optional<access_refusal> route_access::admit(std::string_view authorization,
                                                  const std::optional<verified_token>& token,
                                                  bool auth_required,
                                                  const std::optional<std::string>& tenant) const {
    if (!auth_required) return std::nullopt;
    if (bearer_token(authorization).empty()) return unauthorized("a bearer token is required");
    if (!tokens_) return access_refusal{503, "auth_unavailable", "token verification is not configured"};
    if (!token) return unauthorized("the bearer token is invalid or expired");
    if (tenant && *tenant != token->tenant) {
        return access_refusal{403, "tenant_mismatch", "the token belongs to another tenant"};
    }
    return std::nullopt;
}

std::uint64_t route_access::verifications() noexcept {
    return verified_count.load(std::memory_order_relaxed);
}

}  // namespace gateway
