#pragma once
// Endpoints the gateway answers itself, before the route table is consulted.

#include <optional>
#include <string_view>

#include "gateway/http/http_types.hpp"
#include "gateway/http/runtime_state.hpp"

namespace gateway {

/// The response of a built-in endpoint for `path`, or std::nullopt when the path is
/// not built in and goes through the route table.
std::optional<response> builtin_response(std::string_view method, std::string_view path,
                                         const runtime_state& state,
                                         std::string_view request_id);

}  // namespace gateway
