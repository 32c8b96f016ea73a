// conf::check_route_path: the route pattern grammar shared with router/.
#include "conf/route_path.hpp"

#include <algorithm>

namespace conf {

bool is_identifier(std::string_view name) {
    const auto start = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    };
    const auto rest = [&](char c) { return start(c) || (c >= '0' && c <= '9'); };
    return !name.empty() && start(name.front()) && std::all_of(name.begin(), name.end(), rest);
}

namespace {

/// Splits "/a/b/c" into {"a", "b", "c"}; "/" gives {""}.
std::vector<std::string_view> split_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    std::size_t start = 1;
    while (true) {
        const std::size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            segments.push_back(path.substr(start));
            return segments;
        }
        segments.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
}

}  // namespace

std::variant<route_path_info, std::string> check_route_path(std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return std::string("a route path must start with '/'");
    }
    route_path_info info;
    const std::vector<std::string_view> segments = split_segments(path);
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string_view segment = segments[i];
        const bool last = i + 1 == segments.size();
        info.shape += '/';
        if (segment.empty() && segments.size() > 1) {
            return std::string(
                "a route path must not contain an empty segment ('//' or a "
                "trailing '/')");
        }
        if (segment == "*" && last) {
            info.prefix = true;
            info.shape += '*';
            continue;
        }
        if (segment.find('*') != std::string_view::npos) {
            return std::string("'*' may only appear as the final \"/*\" segment");
        }
        const bool opens = segment.find('{') != std::string_view::npos;
        const bool closes = segment.find('}') != std::string_view::npos;
        if (!opens && !closes) {
            info.shape += segment;
            continue;
        }
        if (segment.size() < 2 || segment.front() != '{' || segment.back() != '}') {
            return std::string("a '{name}' capture must be a whole path segment");
        }
        const std::string_view name = segment.substr(1, segment.size() - 2);
        if (!is_identifier(name)) {
            return "invalid path parameter name '" + std::string(name) + "'";
        }
        if (std::find(info.params.begin(), info.params.end(), name) != info.params.end()) {
            return "path parameter '" + std::string(name) + "' appears twice";
        }
        info.params.emplace_back(name);
        info.shape += "{}";
    }
    return info;
}

}  // namespace conf
