#include "gateway/app/app.hpp"

#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "conf/loader.hpp"
#include "gateway/app/server.hpp"
#include "gateway/app/state_loader.hpp"
#include "gateway/http/echo_handler.hpp"
#include "gateway/http/handler_set.hpp"
#include "gateway/proxy/proxy_handler.hpp"
#include "gateway/sql/sql_handler.hpp"
#include "gateway/telemetry/log.hpp"
#include "tds_pool/pool_log.hpp"

namespace gateway {

std::string_view version() noexcept { return TG_VERSION; }

int check_config(const std::string& path) {
    try {
        const auto state = load_runtime_state(path);
        fmt::print("config OK: {}\n", path);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
}

namespace {

/// The handlers of every route kind this build provides.
handler_set make_default_handlers() {
    handler_set handlers;
    handlers.set(conf::route_kind::echo, std::make_unique<echo_handler>());
    handlers.set(conf::route_kind::proxy, std::make_unique<proxy_handler>());
    install_db_handlers(handlers);
    return handlers;
}

/// The pool's and the registry's lines go to the same JSON-lines stream as the rest.
void pool_log_to_stdout(tds_pool::log_severity severity, std::string_view line) {
    static constexpr std::string_view names[] = {"debug", "info", "warn", "error"};
    log_event(names[static_cast<int>(severity)], line, {{"component", "tds_pool"}});
}

}  // namespace

int serve(const std::string& path) {
    // A client or log reader that went away must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    tds_pool::set_log_sink(pool_log_to_stdout);
    std::shared_ptr<const runtime_state> state;
    try {
        state = load_serving_state(path, unreadable_keys::serve_without_tokens);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        log_error("cannot start: bad configuration", {{"error", e.what()}});
        return 1;
    }
    set_log_options(state->config().log);
    server srv(path, std::move(state), make_default_handlers());
    return srv.run();
}

}  // namespace gateway
