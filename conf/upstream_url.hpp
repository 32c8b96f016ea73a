#pragma once
// An upstream server's URL, "http://host:port[/path]", read with Boost.URL. conf/ checks
// each configured server with it at load (a bad one is an error at its file:line:col);
// the gateway takes the parts it connects to from the same function.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace conf {

/// Where one upstream server is.
struct upstream_url {
    std::string host;         ///< a DNS name or an IP address, as the resolver takes it
    std::uint16_t port = 80;
    std::string base_path;    ///< "" or "/path", put before every forwarded target
    std::string authority;    ///< "host:port" as written: the Host when preserve_host is off
    std::string url;          ///< as configured, for logs
};

/// The parts of `url`; nullopt unless it is http://host:port[/path] with the port written
/// out, a host that is a DNS name or an IP literal, and no user, query or fragment.
std::optional<upstream_url> parse_upstream_url(std::string_view url);

}  // namespace conf
