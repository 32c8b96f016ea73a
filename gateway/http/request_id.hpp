#pragma once
// The id that ties a response, its access-log line and the client's own logs together.

#include <string>
#include <string_view>

namespace gateway {

/// True when a client-supplied X-Request-Id may be reused: 1..128 printable ASCII
/// characters, no spaces (anything else could break log lines or headers).
bool is_acceptable_request_id(std::string_view id) noexcept;

/// A fresh id: 16 random bytes as 32 lower-case hex digits.
std::string generate_request_id();

/// The client's id when acceptable, otherwise a fresh one.
std::string choose_request_id(std::string_view from_client);

}  // namespace gateway
