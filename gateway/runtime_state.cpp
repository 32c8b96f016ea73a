#include "gateway/runtime_state.hpp"

#include <stdexcept>
#include <variant>

#include <boost/json/array.hpp>

#include "conf/loader.hpp"
#include "gateway/auth_keys.hpp"
#include "gateway/log.hpp"
#include "gateway/query_text_size.hpp"

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

/// The fields that choose the user and the tenant of an answer.
std::string vary_value(const std::string& tenant_header) {
    return tenant_header.empty() ? std::string("Authorization") : "Authorization, " + tenant_header;
}

}  // namespace

runtime_state::runtime_state(conf::config config, std::shared_ptr<const token_authority> tokens,
                             std::shared_ptr<const upstream_set> upstreams)
    : config_(std::move(config)),
      routes_(config_.routes),
      tenants_(config_.tenant_resolution),
      proxies_(config_.listen.trusted_proxies),
      vary_(vary_value(config_.tenant_resolution.header)),
      text_size_(query_text_size(config_)),
      tokens_(std::move(tokens)),
      upstreams_(upstreams ? std::move(upstreams) : std::make_shared<const upstream_set>()) {}

std::shared_ptr<const runtime_state> load_runtime_state(const std::string& path) {
    return std::make_shared<const runtime_state>(conf::load_file(path));
}

serving_config load_serving_config(const std::string& path, unreadable_keys keys) {
    conf::config config = conf::load_file(path);
    auto tokens = tokens_for(config, keys);
    return serving_config{std::move(config), std::move(tokens)};
}

std::shared_ptr<const runtime_state> load_serving_state(const std::string& path, unreadable_keys keys) {
    auto loaded = load_serving_config(path, keys);
    return std::make_shared<const runtime_state>(std::move(loaded.config), std::move(loaded.tokens));
}

state_holder::state_holder(std::shared_ptr<const runtime_state> initial)
    : current_(std::move(initial)) {}

std::shared_ptr<const runtime_state> state_holder::get() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void state_holder::set(std::shared_ptr<const runtime_state> next) {
    std::lock_guard lock(mutex_);
    current_.swap(next);
    // `next` now holds the old state; it is freed when the parameter dies, after the
    // lock is released, so a large teardown never blocks other threads' get().
}

}  // namespace gateway
