// Parsing of `pools:`, the per-tenant FreeTDS pool settings.
#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

breaker_config parse_breaker(const YAML::Node& node) {
    breaker_config out;
    for_each_field(node, "pools.breaker", [&](std::string_view key, const YAML::Node& value) {
        if (key == "failure_threshold") {
            out.failure_threshold = read_uint<unsigned>(value, 1);
        } else if (key == "base_backoff") {
            out.base_backoff = read_duration(value);
        } else if (key == "max_backoff") {
            out.max_backoff = read_duration(value);
        } else {
            return false;
        }
        return true;
    });
    if (out.base_backoff > out.max_backoff) {
        fail(at(node, "base_backoff"), "pools.breaker.base_backoff is greater than max_backoff");
    }
    return out;
}

namespace {

/// `max_lifetime_jitter:` a fraction in [0, 1): below 1, no connection's lifetime is zero.
double read_jitter(const YAML::Node& value) {
    const double jitter = read_number(value);
    if (jitter < 0.0 || jitter >= 1.0) fail(value, "expected a fraction from 0 up to (not including) 1");
    return jitter;
}

/// Fills one field of `pools:`; false for an unknown key.
bool read_pools_field(pools_config& out, std::string_view key, const YAML::Node& value) {
    if (key == "min_size") {
        out.min_size = read_uint<std::size_t>(value);
    } else if (key == "max_size") {
        out.max_size = read_uint<std::size_t>(value, 1);
    } else if (key == "max_waiters") {
        out.max_waiters = read_uint<std::size_t>(value);
    } else if (key == "max_opening") {
        out.max_opening = read_uint<std::size_t>(value, 1);
    } else if (key == "acquire_timeout") {
        out.acquire_timeout = read_duration(value);
    } else if (key == "login_timeout") {
        out.login_timeout = read_duration(value);
    } else if (key == "query_timeout") {
        out.query_timeout = read_duration(value);
    } else if (key == "idle_timeout") {
        out.idle_timeout = read_duration(value);
    } else if (key == "max_lifetime") {
        out.max_lifetime = read_duration(value);
    } else if (key == "max_lifetime_jitter") {
        out.max_lifetime_jitter = read_jitter(value);
    } else if (key == "validate_after") {
        out.validate_after = read_duration(value);
    } else if (key == "unused_pool_timeout") {
        out.unused_pool_timeout = read_duration(value);
    } else if (key == "max_total_connections") {
        out.max_total_connections = read_uint<std::size_t>(value, 1);
    } else if (key == "max_connections_per_host") {
        out.max_connections_per_host = read_uint<std::size_t>(value, 1);
    } else if (key == "max_opening_total") {
        out.max_opening_total = read_uint<std::size_t>(value, 1);
    } else if (key == "worker_threads") {
        out.worker_threads = static_cast<unsigned>(read_unsigned(value, 1, 1024));
    } else if (key == "breaker") {
        out.breaker = parse_breaker(value);
    } else {
        return false;
    }
    return true;
}

}  // namespace

pools_config parse_pools(const YAML::Node& node) {
    pools_config out;
    tls_overrides tls;
    for_each_field(node, "pools", [&](std::string_view key, const YAML::Node& value) {
        // A default certificate name for every tenant would be a mistake, not a setting.
        return read_pools_field(out, key, value) ||
               (key != "host_name_in_certificate" && read_tls_field(tls, key, value));
    });
    out.tls = tls.over(out.tls);
    if (out.min_size > out.max_size) {
        fail(at(node, "min_size"), "pools.min_size is greater than pools.max_size");
    }
    return out;
}

}  // namespace conf
