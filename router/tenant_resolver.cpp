#include "router/tenant_resolver.hpp"

#include "router/company_code.hpp"
#include "router/subdomain.hpp"

namespace router {
namespace {

/// One value that names a tenant, and where it was found (for messages).
struct tenant_value {
    conf::tenant_source source;
    std::string place;
    std::string code;
};

// Header values may carry optional whitespace around them (RFC 9110 5.5).
std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

http_error invalid_code(const std::string& place) {
    return bad_input("invalid_company_code",
                     place + " is not a valid company code (1-64 of A-Z, 0-9, '_', '-')");
}

/// Gathers the values of one source, validated; stops at the first invalid one.
class value_collector {
public:
    value_collector(const conf::tenant_resolution_config& config, const request_facts& facts)
        : config_(config), facts_(facts) {}

    /// Adds every value `source` carries; false when one of them is invalid.
    bool collect(conf::tenant_source source) {
        switch (source) {
            case conf::tenant_source::query: return collect_query();
            case conf::tenant_source::subdomain: return collect_subdomain();
            case conf::tenant_source::header: return collect_header();
            case conf::tenant_source::token: return collect_token();
        }
        return true;
    }

    /// Every valid value found so far, in source order.
    const std::vector<tenant_value>& values() const noexcept { return values_; }

    /// Why the last collect() returned false.
    http_error take_error() { return std::move(*error_); }

private:
    bool add(conf::tenant_source source, std::string place, std::string_view raw) {
        auto code = normalize_company_code(raw);
        if (!code) {
            error_ = invalid_code(place);
            return false;
        }
        values_.push_back(tenant_value{source, std::move(place), std::move(*code)});
        return true;
    }

    bool collect_query() {
        if (facts_.target == nullptr) {
            return true;
        }
        for (const auto& [key, value] : facts_.target->query) {
            if (key == config_.query_param &&
                !add(conf::tenant_source::query, "query parameter '" + key + "'", value)) {
                return false;
            }
        }
        return true;
    }

    bool collect_subdomain() {
        const auto found =
            find_subdomain(facts_.host, config_.base_domains, config_.ignored_subdomains);
        switch (found.result) {
            case subdomain_lookup::outcome::none: return true;
            case subdomain_lookup::outcome::label:
                return add(conf::tenant_source::subdomain, "subdomain", found.label);
            case subdomain_lookup::outcome::nested:
                error_ = bad_input("invalid_company_code",
                                  "host has more than one label below the base domain");
                return false;
        }
        return true;
    }

    bool collect_header() {
        for (const std::string_view value : facts_.tenant_headers) {
            if (!add(conf::tenant_source::header, "header '" + config_.header + "'",
                     trim_ows(value))) {
                return false;
            }
        }
        return true;
    }

    bool collect_token() {
        if (!facts_.token_tenant) {
            return true;
        }
        return add(conf::tenant_source::token, "token claim '" + config_.token_claim + "'",
                   *facts_.token_tenant);
    }

    const conf::tenant_resolution_config& config_;
    const request_facts& facts_;
    std::vector<tenant_value> values_;
    std::optional<http_error> error_;
};

http_error conflict(const tenant_value& first, const tenant_value& other) {
    return bad_input("tenant_conflict", first.place + " names " + first.code + " but " +
                                            other.place + " names " + other.code);
}

}  // namespace

std::string_view source_name(conf::tenant_source source) {
    switch (source) {
        case conf::tenant_source::query: return "query parameter";
        case conf::tenant_source::subdomain: return "subdomain";
        case conf::tenant_source::header: return "header";
        case conf::tenant_source::token: return "token claim";
    }
    return "unknown";
}

tenant_resolver::tenant_resolver(conf::tenant_resolution_config config)
    : config_(std::move(config)) {}

tenant_resolution tenant_resolver::resolve(const request_facts& facts) const {
    value_collector collector(config_, facts);
    for (const conf::tenant_source source : config_.order) {
        if (!collector.collect(source)) {
            return tenant_resolution{std::nullopt, source, collector.take_error()};
        }
    }
    const auto& values = collector.values();
    if (values.empty()) {
        return {};
    }
    for (const tenant_value& other : values) {
        if (other.code != values.front().code) {
            return tenant_resolution{std::nullopt, other.source, conflict(values.front(), other)};
        }
    }
    return tenant_resolution{values.front().code, values.front().source, std::nullopt};
}

}  // namespace router
