#include "router/dispatch.hpp"

namespace router {

decision decide(const route_table& routes, const tenant_resolver& resolver,
                std::string_view method, const request_facts& facts) {
    decision result;
    if (facts.target == nullptr) {
        result.error = bad_input("bad_request", "request target missing");
        return result;
    }
    result.match = routes.match(method, facts.target->path);
    result.tenant = resolver.resolve(facts);
    if (result.match.error) {
        result.error = result.match.error;
    } else if (result.tenant.error) {
        result.error = result.tenant.error;
    } else if (result.match.route->tenant_required && !result.tenant.code) {
        result.error = bad_input("tenant_required",
                                 "this route needs a company code (for example ?company=ACME)");
    }
    return result;
}

}  // namespace router
