// Parsing of the operator-facing sections: admin, health, metrics, auth.
#include <algorithm>

#include "conf/parse_sections.hpp"
#include "conf/redis_url.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

access_policy read_access(const YAML::Node& value) {
    return read_enum<access_policy>(value, {{"open", access_policy::open},
                                            {"loopback", access_policy::loopback},
                                            {"token", access_policy::token}});
}

/// The `access` and `token` keys every operator endpoint's section has; false for others.
bool read_access_key(std::string_view key, const YAML::Node& value, access_policy& access,
                     std::string& token) {
    if (key == "access") {
        access = read_access(value);
    } else if (key == "token") {
        token = read_string(value);
    } else {
        return false;
    }
    return true;
}

/// `access: token` without a token would lock everyone out (or, worse, match "").
void check_token(const YAML::Node& node, access_policy access, const std::string& token,
                 std::string_view section) {
    if (access == access_policy::token && token.empty()) {
        fail(at(node, "access"), std::string(section) + ".access token needs a non-empty " +
                                     std::string(section) + ".token");
    }
}

/// The cost ranges crypt_gensalt(3) accepts per scheme (0: its default).
void check_dummy_cost(const YAML::Node& node, const auth_config& auth) {
    const unsigned long cost = auth.dummy_hash_cost;
    if (cost == 0) return;
    const bool ok = auth.dummy_hash_scheme == "$2b$"  ? cost >= 4 && cost <= 31
                    : auth.dummy_hash_scheme == "$y$" ? cost <= 11
                                                      : cost >= 1000 && cost <= 999999999;
    if (!ok) fail(at(node, "dummy_hash_cost"), "dummy_hash_cost out of range for " + auth.dummy_hash_scheme +
                                                   " ($2b$: 4-31, $y$: 1-11, $6$: 1000-999999999)");
}

/// The verify-only key references: each a non-empty ref, none listed twice.
std::vector<std::string> read_previous_refs(const YAML::Node& value) {
    std::vector<std::string> out;
    for (const YAML::Node& item : read_sequence(value)) {
        std::string ref = read_secret_ref(item);
        if (ref.empty()) fail(item, "an empty secret reference");
        if (std::find(out.begin(), out.end(), ref) != out.end()) fail(item, "listed twice");
        out.push_back(std::move(ref));
    }
    return out;
}

/// Previous keys verify tokens the current key's predecessors signed: without a current
/// key there is nothing to rotate, and the current key listed again is a slip.
void check_previous_refs(const YAML::Node& node, const auth_config& auth) {
    if (auth.previous_secret_refs.empty()) return;
    const YAML::Node list = at(node, "previous_secret_refs");
    if (auth.secret_ref.empty()) fail(list, "auth.previous_secret_refs needs auth.secret_ref");
    for (std::size_t i = 0; i < auth.previous_secret_refs.size(); ++i) {
        if (auth.previous_secret_refs[i] == auth.secret_ref) fail(list[i], "this is auth.secret_ref already");
    }
}

/// The leeway absorbs clock skew; minutes of it would let early tokens through.
constexpr duration max_clock_leeway = 5min;

}  // namespace

admin_config parse_admin(const YAML::Node& node) {
    admin_config out;
    for_each_field(node, "admin", [&](std::string_view key, const YAML::Node& value) {
        if (read_access_key(key, value, out.access, out.token)) return true;
        if (key != "enabled") return false;
        out.enabled = read_bool(value);
        return true;
    });
    // access defaults to token: enabling /admin/ without one is an error, not an open door
    if (out.enabled) check_token(node, out.access, out.token, "admin");
    return out;
}

health_config parse_health(const YAML::Node& node) {
    health_config out;
    for_each_field(node, "health", [&](std::string_view key, const YAML::Node& value) {
        if (read_access_key(key, value, out.access, out.token)) return true;
        if (key == "probe_interval") {
            out.probe_interval = read_duration(value);
        } else if (key == "probe_timeout") {
            out.probe_timeout = read_duration(value);
        } else if (key == "probe_concurrency") {
            out.probe_concurrency = read_uint<std::size_t>(value, 1);
        } else {
            return false;
        }
        return true;
    });
    check_token(node, out.access, out.token, "health");
    return out;
}

metrics_config parse_metrics(const YAML::Node& node) {
    metrics_config out;
    for_each_field(node, "metrics", [&](std::string_view key, const YAML::Node& value) {
        if (read_access_key(key, value, out.access, out.token)) return true;
        if (key == "enabled") {
            out.enabled = read_bool(value);
        } else if (key == "max_tenant_labels") {
            out.max_tenant_labels = read_uint<std::size_t>(value);
        } else {
            return false;
        }
        return true;
    });
    check_token(node, out.access, out.token, "metrics");
    return out;
}

bool parse_redis_client_key(std::string_view key, const YAML::Node& value, redis_url& redis,
                            std::string& key_prefix, duration& timeout, bool& has_redis) {
    if (key == "redis") {
        auto url = parse_redis_url(read_string(value));
        // the message never repeats the URL: it may hold a password
        if (!url) fail(value, "redis must be redis://[[user]:password@]host[:port][/db]");
        redis = std::move(*url);
        has_redis = true;
    } else if (key == "key_prefix") {
        key_prefix = read_string(value);
    } else if (key == "timeout") {
        timeout = read_duration(value);
        if (timeout < 1ms || timeout > 5s) fail(value, "timeout must be between 1ms and 5s");
    } else {
        return false;
    }
    return true;
}

login_limit_shared_config parse_login_limit_shared(const YAML::Node& node) {
    login_limit_shared_config out;
    bool has_redis = false;
    for_each_field(node, "auth.login_limit.shared", [&](std::string_view key, const YAML::Node& value) {
        return parse_redis_client_key(key, value, out.redis, out.key_prefix, out.timeout, has_redis);
    });
    if (!has_redis) fail(node, "auth.login_limit.shared needs redis");
    return out;
}

login_limit_config parse_login_limit(const YAML::Node& node) {
    login_limit_config out;
    for_each_field(node, "auth.login_limit", [&](std::string_view key, const YAML::Node& value) {
        if (key == "max_failures") {
            out.max_failures = read_uint<std::size_t>(value, 1);
        } else if (key == "per_address_max_failures") {
            out.per_address_max_failures = read_uint<std::size_t>(value, 1);
        } else if (key == "window") {
            out.window = read_duration(value);
            if (out.window < 1s) fail(value, "window must be at least 1s");
        } else if (key == "max_entries") {
            out.max_entries = read_uint<std::size_t>(value, 1);
        } else if (key == "shared") {
            out.shared = parse_login_limit_shared(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

auth_config parse_auth(const YAML::Node& node) {
    auth_config out;
    for_each_field(node, "auth", [&](std::string_view key, const YAML::Node& value) {
        if (key == "secret_ref") {
            out.secret_ref = read_secret_ref(value);
        } else if (key == "previous_secret_refs") {
            out.previous_secret_refs = read_previous_refs(value);
        } else if (key == "clock_leeway") {
            out.clock_leeway = read_duration(value);
            if (out.clock_leeway > max_clock_leeway) fail(value, "clock_leeway must be at most 5m");
        } else if (key == "issuer") {
            out.issuer = read_string(value);
        } else if (key == "token_ttl") {
            out.token_ttl = read_duration(value);
        } else if (key == "dummy_hash_scheme") {
            out.dummy_hash_scheme = read_enum<std::string>(value, {{"$2b$", "$2b$"}, {"$y$", "$y$"},
                                                                   {"$6$", "$6$"}});
        } else if (key == "dummy_hash_cost") {
            out.dummy_hash_cost = read_uint<unsigned long>(value);
        } else if (key == "login_limit") {
            out.login_limit = parse_login_limit(value);
        } else {
            return false;
        }
        return true;
    });
    check_dummy_cost(node, out);
    check_previous_refs(node, out);
    return out;
}

log_config parse_log(const YAML::Node& node) {
    log_config out;
    for_each_field(node, "log", [&](std::string_view key, const YAML::Node& value) {
        if (key == "level") {
            out.level = read_enum<log_level>(value, {{"debug", log_level::debug},
                                                     {"info", log_level::info},
                                                     {"warn", log_level::warn},
                                                     {"error", log_level::error}});
        } else if (key == "access") {
            out.access = read_bool(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

}  // namespace conf
