#include "gateway/app/state_loader.hpp"

#include <stdexcept>
#include <variant>

#include <boost/json/array.hpp>

#include "conf/loader.hpp"
#include "gateway/auth/route_access.hpp"
#include "gateway/auth/token_keys.hpp"
#include "gateway/sql/query_text_size.hpp"
#include "gateway/telemetry/log.hpp"

namespace gateway {

namespace {

/// Which references sign and verify now: what an operator checks after a rotation.
void log_keys(const conf::auth_config& auth) {
    boost::json::array previous;
    for (const auto& ref : auth.previous_secret_refs) previous.emplace_back(ref);
    log_info("token keys read", {{"secret_ref", auth.secret_ref}, {"previous_secret_refs", std::move(previous)}});
}

/// The token authority of `config`: null when auth is off, or at start-up when a key
/// cannot be read.
std::shared_ptr<const token_authority> tokens_for(const conf::config& config, unreadable_keys keys) {
    // a store of its own: every load reads the key files afresh, nothing is cached across loads
    tds_pool::credential_store secrets;
    auto read = read_auth_keys(config, secrets);
    if (auto* problem = std::get_if<auth_keys_problem>(&read)) {
        if (keys == unreadable_keys::refuse) throw std::runtime_error(problem->message);
        log_error("token keys unavailable: login and auth routes answer 503", {{"error", problem->message}});
        return nullptr;
    }
    auto tokens = std::get<std::shared_ptr<const token_authority>>(std::move(read));
    if (tokens) log_keys(config.auth);
    return tokens;
}

}  // namespace

std::shared_ptr<const runtime_state> make_runtime_state(conf::config config,
                                                        std::shared_ptr<const token_authority> tokens,
                                                        std::shared_ptr<const upstream_set> upstreams) {
    runtime_state::parts extra;
    extra.gate = std::make_shared<const route_access>(tokens);
    extra.tokens = std::move(tokens);
    extra.text_size = query_text_size(config);
    extra.upstreams = upstreams ? std::move(upstreams) : std::make_shared<const upstream_set>();
    return std::make_shared<const runtime_state>(std::move(config), std::move(extra));
}

std::shared_ptr<const runtime_state> load_runtime_state(const std::string& path) {
    return make_runtime_state(conf::load_file(path));
}

serving_config load_serving_config(const std::string& path, unreadable_keys keys) {
    conf::config config = conf::load_file(path);
    auto tokens = tokens_for(config, keys);
    return serving_config{std::move(config), std::move(tokens)};
}

std::shared_ptr<const runtime_state> load_serving_state(const std::string& path, unreadable_keys keys) {
    auto loaded = load_serving_config(path, keys);
    return make_runtime_state(std::move(loaded.config), std::move(loaded.tokens));
}

}  // namespace gateway
