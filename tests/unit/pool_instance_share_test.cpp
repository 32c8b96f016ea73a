// The split of a connection limit across instances (tds_pool/instance_share.hpp), the
// lifetime jitter and the process-wide cap on opens.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "tds_pool/instance_share.hpp"
#include "tds_pool/open_throttle.hpp"
#include "tds_pool/pool_state.hpp"
#include "pool_state_fixture.hpp"

namespace {

conf::cluster_config instance(std::size_t id, std::size_t instances) {
    conf::cluster_config c;
    c.instances = instances;
    c.instance_id = id;
    return c;
}

/// Every instance's share of `limit` for `key`.
std::vector<std::size_t> shares(std::size_t limit, std::size_t instances, const std::string& key) {
    std::vector<std::size_t> out;
    for (std::size_t id = 0; id < instances; ++id) {
        out.push_back(tds_pool::instance_share(limit, instance(id, instances), key));
    }
    return out;
}

}  // namespace

TEST_CASE("instance shares add up to exactly the limit, never more", "[pool][cluster]") {
    for (std::size_t instances = 1; instances <= 12; ++instances) {
        for (std::size_t limit = 0; limit <= 100; ++limit) {
            for (const std::string key : {"ACME", "TECHSTART", "GLOBALSEC", "T-42", ""}) {
                std::size_t sum = 0;
                for (const std::size_t share : shares(limit, instances, key)) {
                    // each share is floor(L/n) or one more
                    REQUIRE(share >= limit / instances);
                    REQUIRE(share <= limit / instances + 1);
                    sum += share;
                }
                REQUIRE(sum == limit);
            }
        }
    }
}

TEST_CASE("one instance gets the whole limit", "[pool][cluster]") {
    REQUIRE(tds_pool::instance_share(10, instance(0, 1), "ACME") == 10);
    REQUIRE(tds_pool::instance_share(1, conf::cluster_config{}, "ACME") == 1);
}

TEST_CASE("an instance beyond the remainder gets no share of a small limit", "[pool][cluster]") {
    // MaxConnections 2 over 3 instances: two instances get 1, one gets 0
    const auto split = shares(2, 3, "ACME");
    REQUIRE(std::count(split.begin(), split.end(), 1) == 2);
    REQUIRE(std::count(split.begin(), split.end(), 0) == 1);
}

TEST_CASE("the remainder rotates with the key, so small tenants spread", "[pool][cluster]") {
    // 30 tenants of one connection each over 3 instances: no instance serves all of them
    std::vector<std::size_t> per_instance(3, 0);
    for (int i = 0; i < 30; ++i) {
        const auto split = shares(1, 3, "TENANT" + std::to_string(i));
        for (std::size_t id = 0; id < 3; ++id) per_instance[id] += split[id];
    }
    for (const std::size_t served : per_instance) {
        REQUIRE(served >= 3);
        REQUIRE(served <= 20);
    }
    // the first instance to get a remainder depends on the key
    std::set<std::size_t> starts;
    for (int i = 0; i < 30; ++i) {
        const auto split = shares(1, 3, "TENANT" + std::to_string(i));
        starts.insert(static_cast<std::size_t>(std::find(split.begin(), split.end(), 1) - split.begin()));
    }
    REQUIRE(starts.size() == 3);
}

TEST_CASE("the remainder goes to consecutive instances after the key's start", "[pool][cluster]") {
    // L = 5 over 4: one instance gets 2, the others 1; L = 6 over 4: two neighbours get 2
    const auto five = shares(5, 4, "ACME");
    REQUIRE(std::count(five.begin(), five.end(), 2) == 1);
    const auto six = shares(6, 4, "ACME");
    const auto first = static_cast<std::size_t>(std::find(six.begin(), six.end(), 2) - six.begin());
    const bool wraps = six[0] == 2 && six[3] == 2;
    REQUIRE((wraps || six[(first + 1) % 4] == 2));
}

TEST_CASE("the hash is the same everywhere (FNV-1a)", "[pool][cluster]") {
    REQUIRE(tds_pool::stable_hash("") == 14695981039346656037ULL);
    REQUIRE(tds_pool::stable_hash("a") == 0xaf63dc4c8601ec8cULL);
}

TEST_CASE("a jittered lifetime lies within [(1 - jitter) x max, max]", "[pool][jitter]") {
    using std::chrono::milliseconds;
    const milliseconds max{1'800'000};
    for (int i = 0; i <= 1000; ++i) {
        const double draw = i / 1000.0;
        const auto life = tds_pool::jittered_lifetime(max, 0.15, draw);
        REQUIRE(life <= max);
        REQUIRE(life >= milliseconds(1'530'000));
    }
    REQUIRE(tds_pool::jittered_lifetime(max, 0.0, 0.9) == max);
    REQUIRE(tds_pool::jittered_lifetime(max, 0.15, 0.0) == max);
}

TEST_CASE("connections opened together expire at different times within the jitter", "[pool][jitter]") {
    tds_pool::pool_limits limits;
    limits.max_size = 50;
    limits.max_lifetime = std::chrono::milliseconds(100'000);
    limits.max_lifetime_jitter = 0.5;
    limits.idle_timeout = std::chrono::hours(10);
    pool_test::fixture f(limits);
    for (int i = 0; i < 50; ++i) f.open_one();
    // nothing expires before half the lifetime
    f.now += std::chrono::milliseconds(49'999);
    f.state.run_janitor();
    REQUIRE(f.state.take_closed().empty());
    // between half and all of it, they leave a few at a time
    f.now += std::chrono::milliseconds(25'000);
    f.state.run_janitor();
    const auto early = f.state.take_closed().size();
    REQUIRE(early > 0);
    REQUIRE(early < 50);
    // all are gone once max_lifetime has passed
    f.now += std::chrono::milliseconds(25'001);
    f.state.run_janitor();
    REQUIRE(early + f.state.take_closed().size() == 50);
}

TEST_CASE("the open throttle caps opens and wakes those that waited", "[pool][opens]") {
    tds_pool::open_throttle opens(2);
    REQUIRE(opens.try_begin());
    REQUIRE(opens.try_begin());
    REQUIRE_FALSE(opens.try_begin());
    int woken = 0;
    opens.wait_for_turn([&] { ++woken; });
    opens.wait_for_turn([&] { ++woken; });
    REQUIRE(woken == 0);
    opens.end();
    REQUIRE(woken == 2);  // both try again; one of them gets the turn
    REQUIRE(opens.try_begin());
    REQUIRE_FALSE(opens.try_begin());
    REQUIRE(opens.running() == 2);
}

TEST_CASE("waiting for a turn that is already free wakes at once", "[pool][opens]") {
    tds_pool::open_throttle opens(1);
    int woken = 0;
    opens.wait_for_turn([&] { ++woken; });
    REQUIRE(woken == 1);
    tds_pool::open_throttle unlimited(0);
    for (int i = 0; i < 100; ++i) REQUIRE(unlimited.try_begin());
}

TEST_CASE("a raised cap wakes the waiting pools", "[pool][opens]") {
    tds_pool::open_throttle opens(1);
    REQUIRE(opens.try_begin());
    int woken = 0;
    opens.wait_for_turn([&] { ++woken; });
    opens.set_cap(2);
    REQUIRE(woken == 1);
    REQUIRE(opens.try_begin());
}
