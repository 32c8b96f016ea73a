#include "gateway/http/client_origin.hpp"

#include <optional>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace gateway {

namespace {

std::string_view trim(std::string_view value) noexcept {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return value;
}

/// An address as X-Forwarded-For or Forwarded `for=` write it: bare, quoted, in
/// brackets, with or without a port. nullopt for anything else ("unknown", garbage).
std::optional<asio::ip::address> parse_hop(std::string_view text) {
    text = trim(text);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        text = text.substr(1, text.size() - 2);
    }
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        text = text.substr(1, close - 1);
    } else if (text.find(':') != text.rfind(':')) {
        // several colons and no brackets: a bare IPv6 address
    } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
        text = text.substr(0, colon);  // IPv4 with a port
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    return unmapped(address);
}

/// The `for=` values of every Forwarded field, in order.
std::vector<std::string_view> forwarded_for_values(const http::request_header<>& header) {
    std::vector<std::string_view> out;
    const auto [first, last] = header.equal_range(http::field::forwarded);
    for (auto it = first; it != last; ++it) {
        std::string_view rest = it->value();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view element = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            for (std::string_view pairs = element; !pairs.empty();) {
                const auto semi = pairs.find(';');
                const std::string_view pair = trim(pairs.substr(0, semi));
                pairs = semi == std::string_view::npos ? std::string_view{} : pairs.substr(semi + 1);
                if (pair.size() > 4 && beast::iequals(pair.substr(0, 4), "for=")) {
                    out.push_back(pair.substr(4));
                }
            }
        }
    }
    return out;
}

/// The addresses of X-Forwarded-For (all fields, in order), else of Forwarded.
std::vector<std::string_view> forwarding_hops(const http::request_header<>& header) {
    std::vector<std::string_view> hops;
    const auto [first, last] = header.equal_range("X-Forwarded-For");
    for (auto it = first; it != last; ++it) {
        std::string_view rest = it->value();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            hops.push_back(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    if (hops.empty()) hops = forwarded_for_values(header);
    return hops;
}

/// The scheme a trusted proxy says the client used, when it says "http" or "https".
std::string trusted_proto(const http::request_header<>& header) {
    const std::string_view value = trim(header["X-Forwarded-Proto"]);
    if (beast::iequals(value, "https")) return "https";
    return "http";
}

}  // namespace

asio::ip::address unmapped(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    return address;
}

trusted_proxies::trusted_proxies(const std::vector<std::string>& cidrs) {
    for (const auto& cidr : cidrs) {
        if (cidr.find(':') != std::string::npos) {
            v6_.push_back(asio::ip::make_network_v6(cidr).canonical());
        } else {
            v4_.push_back(asio::ip::make_network_v4(cidr).canonical());
        }
    }
}

bool trusted_proxies::contains(const asio::ip::address& address) const noexcept {
    const auto plain = unmapped(address);
    // `net` is canonical: the address belongs to it when cut to the same prefix it equals it
    if (plain.is_v4()) {
        for (const auto& net : v4_) {
            if (asio::ip::network_v4(plain.to_v4(), net.prefix_length()).canonical() == net) return true;
        }
        return false;
    }
    for (const auto& net : v6_) {
        if (asio::ip::network_v6(plain.to_v6(), net.prefix_length()).canonical() == net) return true;
    }
    return false;
}

client_origin resolve_client_origin(const http::request_header<>& header,
                                    const asio::ip::address& peer, std::string_view peer_text,
                                    const trusted_proxies& trusted) {
    client_origin origin;
    origin.peer = peer;
    origin.address = unmapped(peer);
    origin.peer_text = peer_text;
    if (!trusted.contains(peer)) {
        origin.address_text = origin.peer_text;
        return origin;
    }
    origin.via_trusted_proxy = true;
    origin.proto = trusted_proto(header);
    const auto hops = forwarding_hops(header);
    // Right to left: each trusted hop vouches for the one before it; the first address
    // that is not a trusted proxy is the client. Garbage ends the walk as "unknown".
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        const auto hop = parse_hop(*it);
        if (!hop) {
            origin.address = asio::ip::address_v4::any();
            origin.address_text = "unknown";
            return origin;
        }
        origin.address = *hop;
        if (!trusted.contains(*hop)) break;
    }
    origin.address_text = origin.address.to_string();
    return origin;
}

}  // namespace gateway
