#pragma once
// Turning a configuration file into a runtime_state: the file is loaded and validated
// (conf/), its token keys are read into the access gate (auth/), and what the SQL routes
// derive from it (sql/query_text_size) is computed once.

#include <memory>
#include <string>

#include "conf/config.hpp"
#include "gateway/auth/token_authority.hpp"
#include "gateway/http/runtime_state.hpp"
#include "gateway/proxy/upstream_registry.hpp"

namespace gateway {

/// A state for an already loaded configuration, its token authority (null: none) and
/// its upstream pools (null: an empty set, for tests and --check-config).
std::shared_ptr<const runtime_state> make_runtime_state(
    conf::config config, std::shared_ptr<const token_authority> tokens = nullptr,
    std::shared_ptr<const upstream_set> upstreams = nullptr);

/// Loads and validates a file into a new state, its token keys left unread
/// (--check-config); throws conf::config_error.
std::shared_ptr<const runtime_state> load_runtime_state(const std::string& path);

/// What load_serving_state does when a token key the file names cannot be read.
enum class unreadable_keys {
    serve_without_tokens,  ///< start-up: logged, login and auth routes answer 503
    refuse,                ///< reload: throws, so the running state keeps serving
};

/// A loaded file with its token keys read: what a serving state is built from.
struct serving_config {
    conf::config config;
    std::shared_ptr<const token_authority> tokens;  ///< null: auth off or keys unreadable
};

/// Loads a file and reads its token keys; throws conf::config_error, and
/// std::runtime_error for an unreadable key when `keys` says refuse.
serving_config load_serving_config(const std::string& path, unreadable_keys keys);

/// load_serving_config made into a state without upstream pools (tests).
std::shared_ptr<const runtime_state> load_serving_state(const std::string& path, unreadable_keys keys);

}  // namespace gateway
