#pragma once
// A pool state machine on a fake clock with stand-in connections, for the tests of
// pool_state (pool_state_machine.cpp, pool_reconfigure_test.cpp).

#include <chrono>
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

}  // namespace pool_test
