#pragma once
// POST /admin/config/reload: the same whole reload as SIGHUP (config_reload.hpp), for
// operators who cannot send signals (containers, remote hosts). Only when admin.enabled,
// under the admin access policy, like the other admin endpoints. Answers 200
// {"reloaded":true,"routes":N,"upstreams":M}, or 422 config_rejected with the reason
// (file:line:col, a key reference, or the settings that need a restart) when the new
// file is refused and the running configuration keeps serving.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "gateway/http_types.hpp"
#include "gateway/runtime_state.hpp"

namespace gateway {

class config_reloader;

/// True for the path answered by config_reload_response.
bool is_config_reload_path(std::string_view target) noexcept;

/// The response for the config reload path; nullopt when admin is disabled (the request
/// then goes through the route table like any other). The pointers must stay valid until
/// the awaitable completes.
asio::awaitable<std::optional<response>> config_reload_response(const request* req, asio::ip::address remote,
                                                                std::shared_ptr<const runtime_state> state,
                                                                config_reloader* reloader,
                                                                std::string request_id);

}  // namespace gateway
