#include "tds_pool/instance_share.hpp"

#include <algorithm>

namespace tds_pool {

std::uint64_t stable_hash(std::string_view text) noexcept {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
}

std::size_t instance_share(std::size_t limit, const conf::cluster_config& cluster,
                           std::string_view key) noexcept {
    const std::size_t instances = std::max<std::size_t>(1, cluster.instances);
    const std::size_t id = cluster.instance_id % instances;
    const std::size_t first_extra = static_cast<std::size_t>(stable_hash(key) % instances);
    // this instance's distance after the key's starting instance, going round the ring
    const std::size_t position = (id + instances - first_extra) % instances;
    return limit / instances + (position < limit % instances ? 1 : 0);
}

}  // namespace tds_pool
