#pragma once
// The one place that decides whether a request may use a route: 401 when an
// `auth: required` route gets no token or an invalid one, 403 when the token belongs to
// another tenant than the one the request names, 503 when the configuration has no
// readable token keys. Every route kind (sql, login, proxy) gets its answer from here,
// through the dispatcher.

#include <memory>

#include "gateway/auth/token_authority.hpp"
#include "gateway/http/access_gate.hpp"

namespace gateway {

/// The access_gate of one configuration, over its token keys (null: none readable).
class route_access final : public access_gate {
public:
    explicit route_access(std::shared_ptr<const token_authority> tokens) : tokens_(std::move(tokens)) {}

    std::optional<verified_token> verify(std::string_view authorization,
                                         std::string_view request_id) const override;

    std::optional<access_refusal> admit(std::string_view authorization,
                                        const std::optional<verified_token>& token, bool auth_required,
                                        const std::optional<std::string>& tenant) const override;

    /// How many tokens this process verified (every configuration together): a request
    /// costs at most one, which /metrics shows and a test holds.
    static std::uint64_t verifications() noexcept;

private:
    std::shared_ptr<const token_authority> tokens_;
};

}  // namespace gateway
