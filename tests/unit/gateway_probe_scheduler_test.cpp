// probe_scheduler's rounds without a database: tenants whose secret cannot be read are
// probed without I/O, so a round ends at once. The wall clock is injected (checked_at is
// exact) and the test runs the loop until the round is over: no sleeps.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "gateway/sql/probe_scheduler.hpp"
#include "tds_pool/credentials.hpp"
#include "tds_pool/pool_manager.hpp"
#include "tds_pool/registry/registry_client.hpp"
#include "tds_pool/registry/registry_source.hpp"

namespace asio = boost::asio;

namespace {

conf::tenant_config tenant(std::string code, bool active) {
    conf::tenant_config t;
    t.code = std::move(code);
    t.server = "db.invalid";
    t.database = "app";
    t.user = "probe";
    t.credential_ref = "env:TG_PROBE_TEST_NEVER_SET";  // unreadable: no connection is tried
    t.active = active;
    return t;
}

/// A scheduler over a YAML registry of `tenants`, its loop and a wall clock set by hand.
struct probe_fixture {
    explicit probe_fixture(std::vector<conf::tenant_config> tenants, std::size_t concurrency)
        : pools(loop, pool_config()),
          registry(conf::registry_config{}, tds_pool::make_yaml_source(std::move(tenants))),
          probes(pools, registry, secrets, settings(concurrency), [this] { return wall; }) {
        REQUIRE(registry.load_at_start());
    }

    static conf::pools_config pool_config() {
        conf::pools_config c;
        c.worker_threads = 1;
        return c;
    }

    static gateway::probe_settings settings(std::size_t concurrency) {
        gateway::probe_settings s;
        s.max_concurrent = concurrency;
        return s;
    }

    /// Starts the scheduler and runs the loop until its first round is over.
    void first_round() {
        probes.start(loop.get_executor());
        while (probes.rounds() == 0) loop.run_one();
        probes.stop();
    }

    std::chrono::system_clock::time_point wall =
        std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
    asio::io_context loop;
    tds_pool::credential_store secrets;
    tds_pool::pool_manager pools;
    tds_pool::tenant_registry registry;
    gateway::probe_scheduler probes;
};

}  // namespace

TEST_CASE("a round probes every active tenant once and stamps it with the wall clock",
          "[gateway][probe_scheduler]") {
    const std::size_t concurrency = GENERATE(1, 2, 8);
    probe_fixture f({tenant("ACME", true), tenant("IDLE", false), tenant("GLOBEX", true),
                     tenant("INITECH", true)},
                    concurrency);
    f.first_round();

    const auto results = f.probes.results();
    CHECK(results.size() == 3);
    CHECK(results.count("IDLE") == 0);  // inactive: not served, not probed
    for (const auto& code : {"ACME", "GLOBEX", "INITECH"}) {
        const auto found = results.find(code);
        REQUIRE(found != results.end());
        CHECK_FALSE(found->second.ok);
        CHECK(found->second.checked_at == f.wall);
        CHECK_THAT(found->second.error, Catch::StartsWith("credentials: "));
    }
}

TEST_CASE("a round without tenants ends at once", "[gateway][probe_scheduler]") {
    probe_fixture f({}, 4);
    f.first_round();
    CHECK(f.probes.rounds() == 1);
    CHECK(f.probes.results().empty());
}
