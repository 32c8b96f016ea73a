// Parsing of the sections about the HTTP side: listen, limits, tenant resolution.
#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/parse_sections.hpp"
#include "conf/yaml_reader.hpp"

namespace conf {

namespace {

/// True when `text` is an IPv4 or IPv6 network: address, '/', prefix length in range.
bool is_cidr(const std::string& text) {
    const auto slash = text.find('/');
    if (slash == std::string::npos || slash + 1 == text.size() || text.size() - slash > 4) {
        return false;
    }
    const std::string address = text.substr(0, slash);
    const std::string prefix = text.substr(slash + 1);
    if (!std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isdigit(c); })) {
        return false;
    }
    const int bits = std::stoi(prefix);
    unsigned char raw[16];
    if (inet_pton(AF_INET, address.c_str(), raw) == 1) return bits <= 32;
    if (inet_pton(AF_INET6, address.c_str(), raw) == 1) return bits <= 128;
    return false;
}

/// A list of networks, each checked; a bare address is refused so that the width
/// trusted is always written down.
std::vector<std::string> read_cidrs(const YAML::Node& value) {
    std::vector<std::string> out;
    for (const YAML::Node& item : read_sequence(value)) {
        std::string text = read_string(item);
        if (!is_cidr(text)) {
            fail(item, "\"" + text + "\" is not a network such as 10.0.0.0/8 or ::1/128");
        }
        out.push_back(std::move(text));
    }
    return out;
}

/// A PEM file the gateway reads at start-up and on every SIGHUP: unreadable now would
/// mean no HTTPS at all, so it is said here with the place in the file.
std::string read_pem_path(const YAML::Node& value, std::string_view key) {
    std::string path = read_string(value);
    if (path.empty() || ::access(path.c_str(), R_OK) != 0) {
        fail(value, "listen.tls." + std::string(key) + " '" + path + "' cannot be read");
    }
    return path;
}

hsts_config parse_hsts(const YAML::Node& node) {
    hsts_config out;
    out.enabled = true;
    for_each_field(node, "listen.tls.hsts", [&](std::string_view key, const YAML::Node& value) {
        if (key == "max_age") {
            out.max_age = read_duration(value);
            if (out.max_age % 1s != duration::zero()) fail(value, "hsts.max_age is a whole number of seconds");
        } else if (key == "include_subdomains") {
            out.include_subdomains = read_bool(value);
        } else if (key == "enabled") {
            out.enabled = read_bool(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

listen_tls_config parse_listen_tls(const YAML::Node& node) {
    listen_tls_config out;
    out.enabled = true;
    for_each_field(node, "listen.tls", [&](std::string_view key, const YAML::Node& value) {
        if (key == "port") {
            out.port = read_uint<std::uint16_t>(value);
        } else if (key == "cert_file") {
            out.cert_file = read_pem_path(value, key);
        } else if (key == "key_file") {
            out.key_file = read_pem_path(value, key);
        } else if (key == "handshake_timeout") {
            out.handshake_timeout = read_duration(value);
            if (out.handshake_timeout <= duration::zero()) fail(value, "handshake_timeout must be more than 0");
        } else if (key == "hsts") {
            out.hsts = parse_hsts(value);
        } else if (key == "enabled") {
            out.enabled = read_bool(value);
        } else {
            return false;
        }
        return true;
    });
    if (out.enabled && out.cert_file.empty()) fail(node, "listen.tls needs cert_file");
    if (out.enabled && out.key_file.empty()) fail(node, "listen.tls needs key_file");
    return out;
}

}  // namespace

listen_config parse_listen(const YAML::Node& node) {
    listen_config out;
    for_each_field(node, "listen", [&](std::string_view key, const YAML::Node& value) {
        if (key == "address") {
            out.address = read_string(value);
        } else if (key == "port") {
            out.port = read_uint<std::uint16_t>(value);
        } else if (key == "io_threads") {
            out.io_threads = static_cast<unsigned>(read_unsigned(value, 1, 256));
        } else if (key == "trusted_proxies") {
            out.trusted_proxies = read_cidrs(value);
        } else if (key == "tls") {
            out.tls = parse_listen_tls(value);
        } else {
            return false;
        }
        return true;
    });
    if (out.address.empty()) {
        fail(at(node, "address"), "listen.address must not be empty");
    }
    if (out.tls.enabled && out.tls.port != 0 && out.tls.port == out.port) {
        fail(at(at(node, "tls"), "port"), "listen.tls.port must differ from listen.port");
    }
    return out;
}

namespace {

/// Sizes a client is held to; zero would refuse every request.
std::size_t read_limit(const YAML::Node& value) { return read_uint<std::size_t>(value, 1); }

/// A Retry-After: the header counts whole seconds, and 0 would invite an instant retry.
duration read_retry_after(const YAML::Node& value) {
    const duration wait = read_duration(value);
    if (wait < 1s || wait % 1s != duration::zero()) {
        fail(value, "a Retry-After is a whole number of seconds, at least 1s");
    }
    return wait;
}

}  // namespace

retry_after_config parse_retry_after(const YAML::Node& node) {
    retry_after_config out;
    for_each_field(node, "limits.retry_after", [&](std::string_view key, const YAML::Node& value) {
        if (key == "too_many_connections") {
            out.too_many_connections = read_retry_after(value);
        } else if (key == "response_budget_exhausted") {
            out.response_budget_exhausted = read_retry_after(value);
        } else if (key == "pool_busy") {
            out.pool_busy = read_retry_after(value);
        } else if (key == "not_ready") {
            out.not_ready = read_retry_after(value);
        } else if (key == "registry_unavailable") {
            out.registry_unavailable = read_retry_after(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

number_form read_number_form(const YAML::Node& node) {
    return read_enum<number_form>(node, {{"number", number_form::number}, {"string", number_form::string}});
}

limits_config parse_limits(const YAML::Node& node) {
    limits_config out;
    for_each_field(node, "limits", [&](std::string_view key, const YAML::Node& value) {
        if (key == "max_header_bytes") {
            out.max_header_bytes = read_limit(value);
        } else if (key == "max_body_bytes") {
            out.max_body_bytes = read_limit(value);
        } else if (key == "header_timeout") {
            out.header_timeout = read_duration(value);
        } else if (key == "read_timeout") {
            out.read_timeout = read_duration(value);
        } else if (key == "write_timeout") {
            out.write_timeout = read_duration(value);
        } else if (key == "idle_timeout") {
            out.idle_timeout = read_duration(value);
        } else if (key == "max_client_connections") {
            out.max_client_connections = read_limit(value);
        } else if (key == "max_pipelined_requests") {
            out.max_pipelined_requests = read_limit(value);
        } else if (key == "drain_timeout") {
            out.drain_timeout = read_duration(value);
        } else if (key == "max_response_bytes") {
            out.max_response_bytes = read_limit(value);
        } else if (key == "max_cell_bytes") {
            out.max_cell_bytes = read_limit(value);
        } else if (key == "decimal_as") {
            out.decimal_as = read_number_form(value);
        } else if (key == "bigint_as") {
            out.bigint_as = read_number_form(value);
        } else if (key == "max_inflight_response_bytes") {
            out.max_inflight_response_bytes = read_limit(value);
        } else if (key == "retry_after") {
            out.retry_after = parse_retry_after(value);
        } else {
            return false;
        }
        return true;
    });
    return out;
}

namespace {

tenant_source read_tenant_source(const YAML::Node& value) {
    return read_enum<tenant_source>(value, {{"query", tenant_source::query},
                                            {"subdomain", tenant_source::subdomain},
                                            {"header", tenant_source::header},
                                            {"token", tenant_source::token}});
}

std::vector<tenant_source> read_order(const YAML::Node& value) {
    std::vector<tenant_source> order;
    for (const YAML::Node& item : read_sequence(value)) {
        const tenant_source source = read_tenant_source(item);
        if (std::find(order.begin(), order.end(), source) != order.end()) {
            fail(item, "tenant source listed twice in tenant_resolution.order");
        }
        order.push_back(source);
    }
    if (order.empty()) {
        fail(value, "tenant_resolution.order must name at least one source");
    }
    return order;
}

/// Lower-cases a base domain and checks it is a plain DNS name.
std::string read_base_domain(const YAML::Node& value) {
    std::string domain = read_string(value);
    std::transform(domain.begin(), domain.end(), domain.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (domain.empty() || domain.front() == '.' || domain.back() == '.') {
        fail(value, "a base domain must not be empty or start or end with '.'");
    }
    const bool plain = std::all_of(domain.begin(), domain.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '-' || c == '.';
    });
    if (!plain || domain.find("..") != std::string::npos) {
        fail(value, "a base domain must be a DNS name such as yourapp.com");
    }
    return domain;
}

/// Host labels that never name a tenant ("www"), lower-cased like hosts are compared.
std::vector<std::string> read_ignored_subdomains(const YAML::Node& value) {
    std::vector<std::string> labels;
    for (const YAML::Node& item : read_sequence(value)) {
        std::string label = read_string(item);
        std::transform(label.begin(), label.end(), label.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (label.empty() || label.find('.') != std::string::npos) {
            fail(item, "an ignored subdomain is a single non-empty DNS label such as www");
        }
        labels.push_back(std::move(label));
    }
    return labels;
}

}  // namespace

tenant_resolution_config parse_tenant_resolution(const YAML::Node& node) {
    tenant_resolution_config out;
    for_each_field(node, "tenant_resolution", [&](std::string_view key, const YAML::Node& value) {
        if (key == "order") {
            out.order = read_order(value);
        } else if (key == "query_param") {
            out.query_param = read_string(value);
        } else if (key == "base_domains") {
            out.base_domains.clear();
            for (const YAML::Node& item : read_sequence(value)) {
                out.base_domains.push_back(read_base_domain(item));
            }
        } else if (key == "ignored_subdomains") {
            out.ignored_subdomains = read_ignored_subdomains(value);
        } else if (key == "header") {
            out.header = read_string(value);
        } else if (key == "token_claim") {
            out.token_claim = read_string(value);
        } else {
            return false;
        }
        return true;
    });
    const auto uses = [&](tenant_source source) {
        return std::find(out.order.begin(), out.order.end(), source) != out.order.end();
    };
    // The default order names subdomain too; only an order written out is held to it,
    // so a file without base domains simply never resolves by subdomain.
    const bool order_written = !at(node, "order").is(node);
    if (order_written && uses(tenant_source::subdomain) && out.base_domains.empty()) {
        fail(at(node, "order"), "subdomain resolution needs tenant_resolution.base_domains");
    }
    if (uses(tenant_source::query) && out.query_param.empty()) {
        fail(at(node, "query_param"), "tenant_resolution.query_param must not be empty");
    }
    if (uses(tenant_source::header) && out.header.empty()) {
        fail(at(node, "header"), "tenant_resolution.header must not be empty");
    }
    if (uses(tenant_source::token) && out.token_claim.empty()) {
        fail(at(node, "token_claim"), "tenant_resolution.token_claim must not be empty");
    }
    return out;
}

}  // namespace conf
