// tenant-gateway: parses the command line and hands over to gateway::serve.

#include <cstdio>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "gateway/app/app.hpp"
#include "gateway/app/cli.hpp"

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto parsed = gateway::parse_cli(args);
    if (const auto* error = std::get_if<gateway::cli_error>(&parsed)) {
        fmt::print(stderr, "tenant-gateway: {}\n{}", error->message, gateway::usage_text());
        return 2;
    }
    const auto& options = std::get<gateway::cli_options>(parsed);
    switch (options.action) {
        case gateway::cli_action::help:
            fmt::print("{}", gateway::usage_text());
            return 0;
        case gateway::cli_action::version:
            fmt::print("tenant-gateway {}\n", gateway::version());
            return 0;
        case gateway::cli_action::check_config:
            return gateway::check_config(options.config_path);
        case gateway::cli_action::openapi:
            return gateway::print_openapi(options.config_path);
        case gateway::cli_action::serve:
            break;
    }
    return gateway::serve(options.config_path);
}
