#pragma once
// Who may read a monitoring endpoint: anyone (open), clients on a loopback address, or
// clients presenting the configured bearer token.

#include <optional>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "conf/config.hpp"
#include "gateway/http/http_types.hpp"

namespace gateway {

/// Null when the request may proceed; otherwise the 403 `forbidden` or 401
/// `unauthorized` JSON error to send.
std::optional<response> check_access(conf::access_policy policy, std::string_view token,
                                     const request& req, const asio::ip::address& remote,
                                     std::string_view request_id);

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses.
bool is_loopback(const asio::ip::address& address) noexcept;

}  // namespace gateway
