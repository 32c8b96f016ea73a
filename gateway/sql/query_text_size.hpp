#pragma once
// The SET TEXTSIZE every SQL query of a configuration runs under. db-lib holds a whole
// cell before the gateway can look at its size, so a cap checked afterwards would not
// bound memory: instead the database cuts long (MAX) values at the text size, just
// above the largest cap any route can use. A cut value is still above every cap and is
// refused as result_too_large like any other value over its route's cap; a value
// within its cap is never cut.

#include <cstddef>
#include <cstdint>

#include "conf/config.hpp"

namespace gateway {

/// The largest max_cell_bytes a route of `config` can use: limits.max_cell_bytes or a
/// route's own, whichever is larger.
std::size_t largest_cell_cap(const conf::config& config);

/// The text size for a cell cap: TEXTSIZE counts bytes as the server sends them (UTF-16
/// for NVARCHAR), the cap the UTF-8 that db-lib hands over, which can be half as long.
/// So twice the cap plus 4: a value within the cap is at most twice as long on the wire
/// and never cut, and a cut one (whole UTF-16 units, maybe less a surrogate pair) still
/// has more than `cap` bytes of UTF-8. At most 2^31 - 1, SQL Server's largest.
std::int32_t text_size_for(std::size_t cell_cap);

/// text_size_for(largest_cell_cap(config)).
std::int32_t query_text_size(const conf::config& config);

}  // namespace gateway
