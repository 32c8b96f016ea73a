#include "conf/upstream_url.hpp"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace conf {

namespace {

namespace urls = boost::urls;

/// A DNS name as resolvers take it: Boost.URL's reg-name also admits sub-delimiters and
/// percent-escapes, which no host we connect to is written with.
bool is_dns_name(std::string_view host) {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
    });
}

bool host_ok(const urls::url_view& u) {
    switch (u.host_type()) {
        case urls::host_type::ipv4:
        case urls::host_type::ipv6: return true;
        case urls::host_type::name: return is_dns_name(u.encoded_host());
        default: return false;  // none, or an IPvFuture literal
    }
}

}  // namespace

std::optional<upstream_url> parse_upstream_url(std::string_view url) {
    const auto parsed = urls::parse_absolute_uri(url);
    if (!parsed) return std::nullopt;
    const urls::url_view& u = *parsed;
    // port_number() is 0 for an empty port and for one beyond 65535. Boost.URL 1.81 reads
    // "h:80x" as port 80 and path "x": a path must be empty or start with '/'.
    const auto path = u.encoded_path();
    if (u.scheme_id() != urls::scheme::http || u.has_userinfo() || !host_ok(u) ||
        u.port_number() == 0 || (!path.empty() && path.front() != '/') || u.has_query()) {
        return std::nullopt;
    }
    upstream_url out;
    out.host = u.host_address();
    out.port = u.port_number();
    out.base_path = path;
    out.authority = u.encoded_authority();
    out.url = url;
    return out;
}

}  // namespace conf
