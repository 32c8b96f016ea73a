#pragma once
// Reading a tenant from the Host header: acme.yourapp.com names tenant ACME when
// yourapp.com is a configured base domain.

#include <string>
#include <string_view>
#include <vector>

namespace router {

/// What the Host header says about the tenant.
struct subdomain_lookup {
    enum class outcome {
        none,   ///< no tenant: other host, any base domain itself, ignored label, IP literal
        label,  ///< exactly one label below a base domain, in `label` (lower case)
        nested  ///< more than one label below a base domain: never a tenant, an error
    };
    outcome result = outcome::none;
    std::string label;  ///< for `nested`: everything below the base domain
};

/// Looks at `host` (a Host header value, may carry ":port" and a trailing dot)
/// against `base_domains`. Host, base domains and ignored labels compare
/// case-insensitively; when several base domains match, the longest one is used, so
/// "acme.eu.yourapp.com" with bases yourapp.com and eu.yourapp.com gives "acme".
subdomain_lookup find_subdomain(std::string_view host,
                                const std::vector<std::string>& base_domains,
                                const std::vector<std::string>& ignored_labels);

}  // namespace router
