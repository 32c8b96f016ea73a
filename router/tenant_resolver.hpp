#pragma once
// Which tenant a request belongs to. Every configured source is consulted and all
// present values must agree: a request that names two tenants is refused rather
// than silently routed to one of them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "router/http_error.hpp"
#include "router/request_target.hpp"

namespace router {

/// The parts of a request that can name a tenant; the gateway fills it per request.
struct request_facts {
    const parsed_target* target = nullptr;  ///< null: no query parameters
    std::string_view host;                  ///< Host header, may carry :port
    std::vector<std::string_view> tenant_headers;  ///< all values of the configured header
    std::optional<std::string> token_tenant;       ///< the verified token's tenant claim
};

/// The outcome of resolution: a code, no code, or an error (then `code` is empty).
struct tenant_resolution {
    std::optional<std::string> code;  ///< normalised company code
    /// Highest-priority source that gave `code`; meaningful only when `code` is set.
    conf::tenant_source source = conf::tenant_source::query;
    std::optional<http_error> error;  ///< 400 invalid_company_code or tenant_conflict
};

/// Human name of a source for messages and logs, e.g. "query parameter".
std::string_view source_name(conf::tenant_source source);

/// Resolves the tenant of a request from the sources in the configured order.
class tenant_resolver {
public:
    /// Keeps its own copy of the configuration.
    explicit tenant_resolver(conf::tenant_resolution_config config);

    /// Collects every value from every configured source (sources not in the order
    /// are ignored). Each value must be a valid company code (else 400
    /// invalid_company_code); all values must name the same code (else 400
    /// tenant_conflict naming both places). No value at all: no code, no error.
    tenant_resolution resolve(const request_facts& facts) const;

    /// The configuration in use.
    const conf::tenant_resolution_config& config() const noexcept { return config_; }

private:
    conf::tenant_resolution_config config_;
};

}  // namespace router
