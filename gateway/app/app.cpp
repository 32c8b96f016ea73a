#include "gateway/app/app.hpp"

#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "conf/loader.hpp"
#include "gateway/admin/openapi_document.hpp"
#include "gateway/app/server.hpp"
#include "gateway/app/state_loader.hpp"
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

int print_openapi(const std::string& path) {
    try {
        const auto state = load_runtime_state(path);
        fmt::print("{}\n", openapi_text(state->config(), version()));
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
}

namespace {

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
    serving_config initial;
    try {
        initial = load_serving_config(path, unreadable_keys::serve_without_tokens);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        log_error("cannot start: bad configuration", {{"error", e.what()}});
        return 1;
    }
    set_log_options(initial.config.log);
    server srv(path, std::move(initial));
    return srv.run();
}

}  // namespace gateway
