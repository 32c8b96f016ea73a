#include "conf/redis_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace conf {

namespace {

namespace urls = boost::urls;

constexpr unsigned max_database = 15;  // Redis's default `databases 16`

bool host_ok(const urls::url_view& u) {
    switch (u.host_type()) {
        case urls::host_type::ipv4:
        case urls::host_type::ipv6: return true;
        case urls::host_type::name: {
            const auto host = u.encoded_host();
            return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
                return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
            });
        }
        default: return false;
    }
}

/// The database of the path "" , "/" or "/N".
std::optional<unsigned> database_of(std::string_view path) {
    if (path.empty() || path == "/") return 0u;
    if (path.front() != '/') return std::nullopt;
    path.remove_prefix(1);
    unsigned db = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db > max_database) return std::nullopt;
    return db;
}

}  // namespace

std::optional<redis_url> parse_redis_url(std::string_view url) {
    const auto parsed = urls::parse_absolute_uri(url);
    if (!parsed) return std::nullopt;
    const urls::url_view& u = *parsed;
    if (u.scheme() != "redis" || !host_ok(u) || u.has_query() || u.has_fragment()) return std::nullopt;
    // an empty or out-of-range port reads as 0: only an absent one means the default
    if (u.has_port() && u.port_number() == 0) return std::nullopt;
    const auto database = database_of(u.encoded_path());
    if (!database) return std::nullopt;
    redis_url out;
    out.host = u.host_address();
    if (u.has_port()) out.port = u.port_number();
    out.database = *database;
    if (u.has_userinfo()) {
        out.username = u.user();
        out.password = u.password();
    }
    // encoded_host keeps an IPv6 literal's brackets
    out.display = std::string(u.encoded_host()) + ":" + std::to_string(out.port) + "/" +
                  std::to_string(out.database);
    return out;
}

}  // namespace conf
