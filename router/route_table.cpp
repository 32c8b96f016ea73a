#include "router/route_table.hpp"

#include <algorithm>

namespace router {

route_table::route_table(const std::vector<conf::route_config>& routes) : routes_(routes) {
    compile();
}

void route_table::compile() {
    by_specificity_.reserve(routes_.size());
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        by_specificity_.push_back(compiled_route{i, path_pattern(routes_[i].path)});
    }
    // Stable: routes equally specific keep their declaration order.
    std::stable_sort(by_specificity_.begin(), by_specificity_.end(),
                     [](const compiled_route& a, const compiled_route& b) {
                         return a.pattern.more_specific_than(b.pattern);
                     });
}

bool route_table::accepts(const conf::route_config& route, std::string_view method) const {
    return std::any_of(route.methods.begin(), route.methods.end(), [&](const std::string& m) {
        return m == method || m == "*" || (method == "HEAD" && m == "GET");
    });
}

route_match route_table::match(std::string_view method, std::string_view path) const {
    const std::vector<std::string_view> segments = split_path(path);
    bool path_matched = false;
    for (const compiled_route& entry : by_specificity_) {
        if (!entry.pattern.matches(segments)) {
            continue;
        }
        if (accepts(routes_[entry.index], method)) {
            return found(entry, segments, path);
        }
        path_matched = true;
    }
    if (path_matched) {
        return not_allowed(method, segments);
    }
    route_match miss;
    miss.error = http_error{404, "route_not_found", "no route matches the request path", {}};
    return miss;
}

route_match route_table::found(const compiled_route& entry,
                               std::span<const std::string_view> segments,
                               std::string_view path) const {
    route_match result;
    result.route = &routes_[entry.index];
    result.index = entry.index;
    entry.pattern.capture(segments, result.path_params);
    if (entry.pattern.is_prefix() && segments.size() > entry.pattern.size()) {
        // Segments view into `path`; the '/' before the first one below the prefix
        // starts the rest.
        const std::string_view first_below = segments[entry.pattern.size()];
        result.rest = path.substr(static_cast<std::size_t>(first_below.data() - path.data()) - 1);
    }
    return result;
}

route_match route_table::not_allowed(std::string_view method,
                                     std::span<const std::string_view> segments) const {
    std::vector<std::string> allow;
    for (const compiled_route& entry : by_specificity_) {
        if (!entry.pattern.matches(segments)) {
            continue;
        }
        for (const std::string& m : routes_[entry.index].methods) {
            allow.push_back(m);
            if (m == "GET") {
                allow.emplace_back("HEAD");
            }
        }
    }
    std::sort(allow.begin(), allow.end());
    allow.erase(std::unique(allow.begin(), allow.end()), allow.end());
    route_match result;
    result.error = http_error{405, "method_not_allowed",
                              "method " + std::string(method) + " is not allowed for this path",
                              std::move(allow)};
    return result;
}

}  // namespace router
