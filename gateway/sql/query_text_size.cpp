#include "gateway/sql/query_text_size.hpp"

#include <algorithm>
#include <limits>

namespace gateway {

std::size_t largest_cell_cap(const conf::config& config) {
    std::size_t largest = config.limits.max_cell_bytes;
    for (const auto& route : config.routes) {
        largest = std::max(largest, route.max_cell_bytes.value_or(0));
    }
    return largest;
}

std::int32_t text_size_for(std::size_t cell_cap) {
    constexpr std::size_t most = std::numeric_limits<std::int32_t>::max();
    const std::size_t size = cell_cap > (most - 4) / 2 ? most : 2 * cell_cap + 4;
    return static_cast<std::int32_t>(size);
}

std::int32_t query_text_size(const conf::config& config) {
    return text_size_for(largest_cell_cap(config));
}

}  // namespace gateway
