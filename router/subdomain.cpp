#include "router/subdomain.hpp"

#include <algorithm>
#include <optional>

namespace router {
namespace {

std::string to_lower_ascii(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return lower;
}

// Removes ":port" and one trailing dot (the fully qualified spelling); an IPv6
// literal ("[::1]:8080") yields "" since it can never carry a subdomain.
std::string_view host_name_only(std::string_view host) {
    if (host.starts_with('[')) {
        return {};
    }
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    if (host.ends_with('.')) {
        host.remove_suffix(1);
    }
    return host;
}

// Normalises a configured base domain the same way as the host.
std::string base_domain_key(std::string_view base) {
    if (base.starts_with('.')) {
        base.remove_prefix(1);
    }
    if (base.ends_with('.')) {
        base.remove_suffix(1);
    }
    return to_lower_ascii(base);
}

// The part of `host` below `base` ("acme" for acme.yourapp.com), or nothing.
std::optional<std::string_view> below_base(std::string_view host, std::string_view base) {
    if (base.empty() || host.size() <= base.size() + 1 || !host.ends_with(base)) {
        return std::nullopt;
    }
    const std::size_t dot = host.size() - base.size() - 1;
    if (host[dot] != '.') {
        return std::nullopt;
    }
    return host.substr(0, dot);
}

bool is_ignored(std::string_view label, const std::vector<std::string>& ignored) {
    return std::any_of(ignored.begin(), ignored.end(), [&](const std::string& entry) {
        return to_lower_ascii(entry) == label;
    });
}

}  // namespace

subdomain_lookup find_subdomain(std::string_view host,
                                const std::vector<std::string>& base_domains,
                                const std::vector<std::string>& ignored_labels) {
    const std::string name = to_lower_ascii(host_name_only(host));
    std::optional<std::string_view> best;
    for (const std::string& base : base_domains) {
        const std::string key = base_domain_key(base);
        if (name == key) {
            // A base domain itself never names a tenant, even below another base.
            return {};
        }
        const auto below = below_base(name, key);
        if (below && (!best || below->size() < best->size())) {
            best = below;
        }
    }
    if (!best || best->empty() || is_ignored(*best, ignored_labels)) {
        return {};
    }
    const auto kind = best->find('.') == std::string_view::npos ? subdomain_lookup::outcome::label
                                                                : subdomain_lookup::outcome::nested;
    return subdomain_lookup{kind, std::string(*best)};
}

}  // namespace router
