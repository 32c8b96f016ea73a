#pragma once
// The configured routes, compiled once, matched per request by method and path.
//
// Selection: among the routes whose pattern matches the path AND whose methods accept
// the request method, the most specific pattern wins (path_pattern::more_specific_than:
// more literal segments, then more captures, then exact before prefix, then the
// leftmost literal); routes equal by all of that are taken in declaration order.
// Methods compare case-sensitively; a route listing GET also accepts HEAD; a route
// listing "*" accepts every method.
// No pattern matches the path: 404 route_not_found. Some patterns match the path but
// none accepts the method: 405 method_not_allowed, `allow` being the sorted union of the
// methods of every route whose pattern matches (HEAD added beside GET).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.hpp"
#include "router/http_error.hpp"
#include "router/path_pattern.hpp"

namespace router {

/// The route chosen for a request, or why there is none.
struct route_match {
    const conf::route_config* route = nullptr;  ///< points into the route_table
    std::size_t index = 0;  ///< position of `route` in the configured list
    std::vector<std::pair<std::string, std::string>> path_params;  ///< {name} -> segment
    /// For a prefix route: the decoded path below the prefix ("/x/y" for /app/x/y under
    /// /app/*, "" for /app itself); empty for other routes.
    std::string rest;
    std::optional<http_error> error;  ///< 404 route_not_found or 405 method_not_allowed
};

/// Compiled routes; immutable, safe to share between threads.
class route_table {
public:
    /// Copies and compiles `routes`; throws std::invalid_argument on a malformed path.
    explicit route_table(const std::vector<conf::route_config>& routes);

    /// Finds the route for `method` and the decoded `path` (see the file comment).
    route_match match(std::string_view method, std::string_view path) const;

    /// The routes in configured order.
    const std::vector<conf::route_config>& routes() const noexcept { return routes_; }

private:
    struct compiled_route {
        std::size_t index;
        path_pattern pattern;
    };

    void compile();
    bool accepts(const conf::route_config& route, std::string_view method) const;
    route_match found(const compiled_route& entry, std::span<const std::string_view> segments,
                      std::string_view path) const;
    route_match not_allowed(std::string_view method,
                            std::span<const std::string_view> segments) const;

    std::vector<conf::route_config> routes_;
    std::vector<compiled_route> by_specificity_;  ///< most specific first
};

}  // namespace router
