#include "gateway/app/cli.hpp"

namespace gateway {

namespace {

constexpr std::string_view usage =
    "usage: tenant-gateway --config FILE\n"
    "       tenant-gateway --check-config --config FILE   (or --check-config FILE)\n"
    "       tenant-gateway --openapi --config FILE        (or --openapi FILE)\n"
    "       tenant-gateway --version | --help\n"
    "\n"
    "  --config FILE       YAML configuration to serve (see conf/gateway.example.yaml)\n"
    "  --check-config      validate the configuration, print \"config OK: FILE\" and exit 0,\n"
    "                      or print file:line:col: message on stderr and exit 1\n"
    "  --openapi           print the OpenAPI 3.1 contract of the configuration's routes\n"
    "                      (the document GET /openapi.json serves) as JSON and exit 0,\n"
    "                      or print file:line:col: message on stderr and exit 1\n"
    "  --version           print the version and exit\n"
    "  --help, -h          print this text and exit\n"
    "\n"
    "signals: SIGTERM/SIGINT stop accepting, let in-flight requests finish, exit 0;\n"
    "         SIGHUP reloads the configuration file (a bad file is refused).\n";

/// Sets the config path once; a second, different one is an error.
std::optional<cli_error> set_path(cli_options& options, std::string_view path) {
    if (path.empty()) return cli_error{"--config needs a file name"};
    if (!options.config_path.empty() && options.config_path != path) {
        return cli_error{"more than one configuration file given"};
    }
    options.config_path = path;
    return std::nullopt;
}

}  // namespace

std::variant<cli_options, cli_error> parse_cli(std::span<const std::string_view> args) {
    cli_options options;
    std::optional<cli_action> task;  // --check-config or --openapi
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const bool has_value = i + 1 < args.size() && !args[i + 1].starts_with("-");
        std::optional<cli_error> error;
        if (arg == "--help" || arg == "-h") {
            return cli_options{cli_action::help, {}};
        } else if (arg == "--version") {
            return cli_options{cli_action::version, {}};
        } else if (arg == "--config") {
            if (!has_value) return cli_error{"--config needs a file name"};
            error = set_path(options, args[++i]);
        } else if (arg.starts_with("--config=")) {
            error = set_path(options, arg.substr(9));
        } else if (arg == "--check-config" || arg == "--openapi") {
            const cli_action wanted = arg == "--openapi" ? cli_action::openapi : cli_action::check_config;
            if (task && *task != wanted) return cli_error{"give either --check-config or --openapi"};
            task = wanted;
            if (has_value) error = set_path(options, args[++i]);
        } else {
            return cli_error{"unknown argument: " + std::string(arg)};
        }
        if (error) return *error;
    }
    if (options.config_path.empty()) return cli_error{"no configuration file: use --config FILE"};
    options.action = task.value_or(cli_action::serve);
    return options;
}

std::string_view usage_text() noexcept { return usage; }

}  // namespace gateway
