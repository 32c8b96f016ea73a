#pragma once
// Who sent a request. Behind a TLS terminator or load balancer the TCP peer is the
// proxy, not the client: the proxy's X-Forwarded-For (or Forwarded) names the client.
// Those fields are believed only from peers in `listen.trusted_proxies`; from anybody
// else they are the client's own claim and are ignored. The address found here feeds
// the `loopback` access check, the access log, the login limiter and X-Real-IP.

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "gateway/http/http_types.hpp"

namespace gateway {

/// The networks of `listen.trusted_proxies`, parsed once per configuration.
class trusted_proxies {
public:
    trusted_proxies() = default;
    /// Parses CIDR strings already validated by the config loader; throws on bad ones.
    explicit trusted_proxies(const std::vector<std::string>& cidrs);

    /// True when `address` lies in one of the networks (IPv4-mapped IPv6 read as IPv4).
    bool contains(const asio::ip::address& address) const noexcept;
    bool empty() const noexcept { return v4_.empty() && v6_.empty(); }

private:
    std::vector<asio::ip::network_v4> v4_;
    std::vector<asio::ip::network_v6> v6_;
};

/// The client of one request as the gateway believes it.
struct client_origin {
    asio::ip::address peer;        ///< the TCP peer
    std::string peer_text;         ///< `peer` as text
    asio::ip::address address;     ///< the real client; unspecified when a proxy named garbage
    std::string address_text;      ///< `address` as text ("unknown" when unspecified)
    bool via_trusted_proxy = false;  ///< the peer is a trusted proxy
    std::string proto = "http";    ///< the scheme the client used (a trusted X-Forwarded-Proto)
};

/// `address` with an IPv4-mapped IPv6 address turned into its IPv4 form.
asio::ip::address unmapped(const asio::ip::address& address);

/// The origin of a request from `peer`: the peer itself unless it is trusted, else the
/// rightmost address of X-Forwarded-For (or Forwarded `for=`) that is not a trusted
/// proxy, as nginx's real_ip_recursive reads it.
/// `peer_text` is `peer` as text, formatted once per connection by the caller.
client_origin resolve_client_origin(const http::request_header<>& header,
                                    const asio::ip::address& peer, std::string_view peer_text,
                                    const trusted_proxies& trusted);

}  // namespace gateway
