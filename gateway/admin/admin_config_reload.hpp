#pragma once
// POST /admin/config/reload: the same whole reload as SIGHUP (app/config_reload), for
// operators who cannot send signals (containers, remote hosts). Registered only while
// admin.enabled, under the admin access policy, like the other admin endpoints. Answers
// 200 {"reloaded":true,"routes":N,"upstreams":M}, or 422 config_rejected with the reason
// (file:line:col, a key reference, or the settings that need a restart) when the new
// file is refused and the running configuration keeps serving.

#include <cstddef>
#include <functional>
#include <string>

#include "gateway/http/endpoint_table.hpp"

namespace gateway {

/// The outcome of one reload.
struct reload_result {
    bool reloaded = false;
    std::string reason;  ///< why it was refused (file:line:col, a key reference); no secret values
    std::size_t routes = 0;     ///< routes of the configuration now serving
    std::size_t upstreams = 0;  ///< upstreams of the configuration now serving
};

/// Runs a whole reload off the event loops (config_reloader::reload_off_loop).
using config_reload_function = std::function<asio::awaitable<reload_result>()>;

/// The endpoint's answer: access checked, then the reload run.
asio::awaitable<response> admin_config_reload_answer(endpoint_request request, const config_reload_function* reload);

}  // namespace gateway
