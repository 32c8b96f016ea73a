#pragma once
// The fields every response the gateway writes itself carries, set in one place:
// Server, X-Request-Id, Date (RFC 9110 §6.6.1), Cache-Control and Vary. Tenant rows and
// errors are never stored by a shared cache (`no-store`), and a cache that ignores that
// still keys them by the fields that chose the tenant and the user (`Vary`).

#include <chrono>
#include <string>
#include <string_view>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); formatted
/// once a second per thread.
std::string_view http_date_now();

/// Sets Server, X-Request-Id and Date; Cache-Control `no-store` unless the response
/// chose its own; Vary `vary` (runtime_state::vary()).
void finish_gateway_response(http::response_header<>& header, std::string_view request_id,
                             std::string_view vary);

/// Adds a Date to a relayed response that has none (a proxy with a clock must).
void ensure_date(http::response_header<>& header);

/// Sets Retry-After to `wait` in whole seconds, rounded up and at least 1: a client never
/// comes back a moment too early, nor at once.
void set_retry_after(http::response_header<>& header, std::chrono::milliseconds wait);

}  // namespace gateway
