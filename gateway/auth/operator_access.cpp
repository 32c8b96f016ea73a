#include "gateway/auth/operator_access.hpp"

#include "gateway/auth/token_authority.hpp"
#include "gateway/http/json_response.hpp"

namespace gateway {

namespace {

/// Compares without leaking the position of the first difference through timing.
bool same_secret(std::string_view a, std::string_view b) noexcept {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    }
    return diff == 0;
}

}  // namespace

bool is_loopback(const asio::ip::address& address) noexcept {
    if (address.is_loopback()) return true;
    if (address.is_v6()) {
        const auto v6 = address.to_v6();
        return v6.is_v4_mapped() &&
               asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
    }
    return false;
}

std::optional<response> check_access(conf::access_policy policy, std::string_view token,
                                     const request& req, const asio::ip::address& remote,
                                     std::string_view request_id) {
    switch (policy) {
        case conf::access_policy::open:
            return std::nullopt;
        case conf::access_policy::loopback:
            if (is_loopback(remote)) return std::nullopt;
            return error_response(403, "forbidden", "this endpoint answers local clients only",
                                  request_id);
        case conf::access_policy::token: {
            const auto presented = bearer_token(req[http::field::authorization]);
            // An empty configured token admits nobody rather than everybody.
            if (!token.empty() && !presented.empty() && same_secret(presented, token)) {
                return std::nullopt;
            }
            auto res = error_response(401, "unauthorized", "a valid bearer token is required",
                                      request_id);
            res.set(http::field::www_authenticate, "Bearer");
            return res;
        }
    }
    return std::nullopt;
}

}  // namespace gateway
