#pragma once
// A pool state machine on a fake clock with stand-in connections, for the tests of
// pool_state (pool_state_machine.cpp, pool_reconfigure_test.cpp).

#include <chrono>
#include <cstddef>
#include <memory>

#include "tds_pool/pool_state.hpp"

namespace pool_test {

struct fake_resource : tds_pool::pooled_resource {};

struct fixture {
    tds_pool::pool_clock::time_point now{std::chrono::hours(1)};
    tds_pool::pool_state state;

    explicit fixture(tds_pool::pool_limits limits) : state(limits, [this] { return now; }) {}

    tds_pool::slot_id open_one() {
        const auto id = state.begin_open();
        state.open_succeeded(id, std::make_unique<fake_resource>());
        return id;
    }
};

/// Pool limits of a test: the sizes, then the waiter and opening caps and the idle,
/// lifetime and validation times.
inline tds_pool::pool_limits make_limits(std::size_t min_size, std::size_t max_size, std::size_t max_waiters,
                                         std::size_t max_opening, std::chrono::seconds idle_timeout,
                                         std::chrono::seconds max_lifetime, std::chrono::seconds validate_after) {
    tds_pool::pool_limits l;
    l.min_size = min_size;
    l.max_size = max_size;
    l.max_waiters = max_waiters;
    l.max_opening = max_opening;
    l.idle_timeout = idle_timeout;
    l.max_lifetime = max_lifetime;
    l.validate_after = validate_after;
    return l;
}

}  // namespace pool_test
