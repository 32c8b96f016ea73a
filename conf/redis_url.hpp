#pragma once
// The Redis server of the shared login limits, "redis://[[user]:password@]host[:port][/db]",
// read with Boost.URL. conf/ checks it at load; the gateway connects to its parts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace conf {

/// Where the Redis server is and how to log in to it.
struct redis_url {
    std::string host;          ///< a DNS name or an IP address
    std::uint16_t port = 6379;
    unsigned database = 0;     ///< SELECTed after connecting
    std::string username;      ///< AUTH user (Redis 6 ACLs); empty: the default user
    std::string password;      ///< AUTH password; empty: no AUTH. Never logged.
    std::string display;       ///< "host:port/db": what logs show, without credentials

    friend bool operator==(const redis_url&, const redis_url&) = default;
};

/// The parts of `url`; nullopt unless it is redis://[[user]:password@]host[:port][/db]
/// with a database number up to 15 and no query or fragment.
std::optional<redis_url> parse_redis_url(std::string_view url);

}  // namespace conf
