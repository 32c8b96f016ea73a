#include "router/request_target.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace router {
namespace {

http_error bad_request(std::string message) {
    return bad_input("bad_request", std::move(message));
}

bool has_nul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

// Checks each decoded segment; returns the reason the path is refused, or "".
std::string_view segment_problem(const boost::urls::url_view& url) {
    for (const std::string segment : url.segments()) {
        if (has_nul(segment)) {
            return "NUL in path";
        }
        if (segment.find('/') != std::string::npos) {
            return "encoded '/' in a path segment";
        }
        // Dot segments would be resolved differently by the gateway and by an
        // upstream; refusing them leaves no room for path confusion.
        if (segment == "." || segment == "..") {
            return "dot segment in path";
        }
    }
    return {};
}

}  // namespace

std::variant<parsed_target, http_error> parse_target(std::string_view target) {
    const auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        return bad_request("request target is not a valid origin-form URL");
    }
    if (const std::string_view problem = segment_problem(*url); !problem.empty()) {
        return bad_request(std::string(problem));
    }
    parsed_target parsed;
    parsed.path = url->path();
    for (auto param : url->params()) {
        if (has_nul(param.key) || has_nul(param.value)) {
            return bad_request("NUL in query");
        }
        if (param.key.empty() && !param.has_value) {
            continue;  // "?" alone or "a=1&&b=2": nothing was sent
        }
        parsed.query.emplace_back(std::move(param.key), std::move(param.value));
    }
    return parsed;
}

}  // namespace router
