#include "gateway/app.hpp"

#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "conf/loader.hpp"
#include "gateway/handler_set.hpp"
#include "gateway/log.hpp"
#include "gateway/runtime_state.hpp"
#include "gateway/server.hpp"

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

int serve(const std::string& path) {
    // A client or log reader that went away must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    std::shared_ptr<const runtime_state> state;
    try {
        state = load_runtime_state(path);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        log_error("cannot start: bad configuration", {{"error", e.what()}});
        return 1;
    }
    server srv(path, std::move(state), make_default_handlers());
    return srv.run();
}

}  // namespace gateway
