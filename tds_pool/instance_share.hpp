#pragma once
// How one connection limit is split across the instances that share it (README, "Many
// instances: the connection budget"). A limit L over n instances: each gets floor(L/n),
// and the L mod n instances that follow the key's starting instance (a hash of the key,
// rotated modulo n) get one more. The shares add up to exactly L, so the instances
// together never open more than L; different keys start at different instances, so
// tenants with small limits spread over all of them. An instance that is down leaves its
// share unused: the others never take it over, which is why the sum holds in a failover.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conf/config.hpp"

namespace tds_pool {

/// 64-bit FNV-1a of `text`: the same on every instance, build and platform (std::hash is
/// not), so all instances agree on who gets the remainder.
std::uint64_t stable_hash(std::string_view text) noexcept;

/// This instance's part of `limit` shared by `cluster.instances` instances, the remainder
/// rotated by `key` (a tenant code, a host name). May be 0 when limit < instances.
std::size_t instance_share(std::size_t limit, const conf::cluster_config& cluster,
                           std::string_view key) noexcept;

}  // namespace tds_pool
