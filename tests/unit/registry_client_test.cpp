// The registry client with a scripted source: snapshots, refresh, stale copies,
// retargeting, single-flight on-demand lookups and the bounded negative cache.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "tds_pool/registry/registry_client.hpp"

namespace asio = boost::asio;
using tds_pool::lookup_status;
using tds_pool::tenant_record;

namespace {

tenant_record tenant(std::string code, std::string server, bool active = true) {
    tenant_record r;
    r.code = std::move(code);
    r.name = r.code + " Inc";
    r.server = std::move(server);
    r.database = "FieldServiceDB";
    r.active = active;
    return r;
}

/// A source whose answers the test changes between calls.
struct scripted_source final : tds_pool::registry_source {
    std::mutex mutex;
    std::vector<tenant_record> rows;
    bool failing = false;
    std::atomic<int> load_all_calls{0};
    std::atomic<int> load_one_calls{0};
    std::atomic<int>* gate = nullptr;  ///< load_one waits until it reaches gate_target
    int gate_target = 0;

    tds_pool::outcome<std::vector<tenant_record>> load_all() override {
        ++load_all_calls;
        std::lock_guard lock(mutex);
        if (failing) return tds_pool::db_error(tds_pool::errc::tenant_db_unavailable, "registry down");
        return rows;
    }
    tds_pool::outcome<std::optional<tenant_record>> load_one(const std::string& code) override {
        ++load_one_calls;
        if (gate != nullptr) {
            while (gate->load() < gate_target) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            // the last caller registers right after counting itself: give it time
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        std::lock_guard lock(mutex);
        if (failing) return tds_pool::db_error(tds_pool::errc::tenant_db_unavailable, "registry down");
        for (const auto& r : rows) {
            if (r.code == code) return std::optional<tenant_record>(r);
        }
        return std::optional<tenant_record>();
    }
    const char* kind() const noexcept override { return "tds"; }
};

conf::registry_config small_config() {
    conf::registry_config c;
    c.source = conf::registry_source::tds;
    c.negative_cache_ttl = std::chrono::seconds(60);
    c.negative_cache_max = 3;
    return c;
}

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto future = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    return future.get();
}

asio::awaitable<tds_pool::lookup_result> counted_find(tds_pool::tenant_registry* registry,
                                                      std::string code, std::atomic<int>* started) {
    ++*started;
    co_return co_await registry->find(std::move(code));
}

}  // namespace

TEST_CASE("load_initial throws when the first load fails", "[registry]") {
    auto source = std::make_unique<scripted_source>();
    source->failing = true;
    tds_pool::tenant_registry registry(small_config(), std::move(source));
    CHECK_THROWS_WITH(registry.load_initial(), Catch::Contains("registry down"));
}

TEST_CASE("refresh swaps the snapshot, keeps the last good copy when failing", "[registry]") {
    auto owned = std::make_unique<scripted_source>();
    auto* source = owned.get();
    source->rows = {tenant("ACME", "acme-sql"), tenant("DEMO", "own-sql")};
    tds_pool::tenant_registry registry(small_config(), std::move(owned));
    std::vector<std::string> retargeted;
    registry.on_retarget([&](const std::vector<std::string>& codes) { retargeted = codes; });
    registry.load_initial();
    const auto first = registry.snapshot();
    REQUIRE(first->tenants.size() == 2);

    asio::io_context ioc;
    {
        std::lock_guard lock(source->mutex);
        source->rows = {tenant("ACME", "acme-sql-2"), tenant("DEMO", "own-sql", false),
                        tenant("NEWCO", "new-sql")};
    }
    const auto refreshed = run(ioc, registry.refresh());
    CHECK(refreshed.ok);
    CHECK(refreshed.tenants == 3);
    CHECK(retargeted == std::vector<std::string>{"ACME", "DEMO"});
    CHECK(registry.snapshot()->find("ACME")->server == "acme-sql-2");
    CHECK(first->find("ACME")->server == "acme-sql");  // old snapshot unchanged
    CHECK_FALSE(registry.status().stale);

    source->failing = true;
    const auto failed = run(ioc, registry.refresh());
    CHECK_FALSE(failed.ok);
    const auto status = registry.status();
    CHECK(status.stale);
    CHECK(status.last_error == "registry down");
    CHECK(registry.snapshot()->tenants.size() == 3);
    CHECK(run(ioc, registry.find("NEWCO")).status == lookup_status::found);
}

TEST_CASE("unknown codes are looked up once and then cached as misses", "[registry]") {
    auto owned = std::make_unique<scripted_source>();
    auto* source = owned.get();
    tds_pool::tenant_registry registry(small_config(), std::move(owned));
    registry.load_initial();
    asio::io_context ioc;

    {
        std::lock_guard lock(source->mutex);
        source->rows = {tenant("LATE", "late-sql")};  // a row added after the load
    }
    auto late = run(ioc, registry.find("LATE"));
    REQUIRE(late.status == lookup_status::found);
    CHECK(late.record->server == "late-sql");
    CHECK(run(ioc, registry.find("LATE")).status == lookup_status::found);
    CHECK(source->load_one_calls == 1);  // now in the snapshot

    CHECK(run(ioc, registry.find("NOPE")).status == lookup_status::not_found);
    CHECK(run(ioc, registry.find("NOPE")).status == lookup_status::not_found);
    CHECK(source->load_one_calls == 2);

    for (int i = 0; i < 10; ++i) run(ioc, registry.find("RANDOM" + std::to_string(i)));
    CHECK(registry.status().negative_cached <= 3);

    source->failing = true;
    CHECK(run(ioc, registry.find("OTHER")).status == lookup_status::unavailable);
}

TEST_CASE("concurrent lookups of one code share a single source call", "[registry]") {
    auto owned = std::make_unique<scripted_source>();
    auto* source = owned.get();
    tds_pool::tenant_registry registry(small_config(), std::move(owned));
    registry.load_initial();
    {
        std::lock_guard lock(source->mutex);
        source->rows = {tenant("BURST", "burst-sql")};
    }
    std::atomic<int> started{0};
    source->gate = &started;
    source->gate_target = 5;

    asio::io_context ioc;
    std::vector<std::future<tds_pool::lookup_result>> results;
    for (int i = 0; i < 5; ++i) {
        results.push_back(asio::co_spawn(ioc, counted_find(&registry, "BURST", &started), asio::use_future));
    }
    ioc.run();
    for (auto& r : results) CHECK(r.get().status == lookup_status::found);
    CHECK(source->load_one_calls == 1);
}

TEST_CASE("a replaced source is read by the next refresh and by lookups", "[registry]") {
    conf::tenant_config acme;
    acme.code = "ACME";
    acme.server = "acme-sql";
    acme.database = "FieldServiceDB";
    tds_pool::tenant_registry registry(small_config(), tds_pool::make_yaml_source({acme}));
    registry.load_initial();
    asio::io_context ioc;
    CHECK(run(ioc, registry.find("ACME")).status == lookup_status::found);

    conf::tenant_config demo = acme;
    demo.code = "DEMO";
    registry.replace_source(tds_pool::make_yaml_source({demo}));
    CHECK(run(ioc, registry.refresh()).ok);
    CHECK(registry.snapshot()->find("ACME") == nullptr);
    CHECK(run(ioc, registry.find("ACME")).status == lookup_status::not_found);
    CHECK(run(ioc, registry.find("DEMO")).status == lookup_status::found);
    CHECK(registry.status().source == "yaml");
}

TEST_CASE("reconfigure switches the source kind, restarts the refresh loop, forgets misses", "[registry]") {
    asio::io_context ioc;  // before the registry: its stop() posts to this executor
    conf::tenant_config acme;
    acme.code = "ACME";
    acme.server = "acme-sql";
    acme.database = "FieldServiceDB";
    conf::registry_config yaml_config;
    tds_pool::tenant_registry registry(yaml_config, tds_pool::make_yaml_source({acme}));
    registry.load_initial();
    registry.start(ioc.get_executor());  // a yaml source has no refresh loop
    CHECK(run(ioc, registry.find("NEWCO")).status == lookup_status::not_found);  // a remembered miss

    auto tds = std::make_unique<scripted_source>();
    scripted_source* rows = tds.get();
    rows->rows = {tenant("NEWCO", "newco-sql")};
    auto tds_config = small_config();
    tds_config.refresh_interval = std::chrono::milliseconds(20);
    tds_config.retry_base = std::chrono::milliseconds(10);
    tds_config.retry_max = std::chrono::milliseconds(20);
    registry.reconfigure(tds_config, std::move(tds));
    CHECK(registry.status().source == "tds");
    CHECK(registry.status().stale);  // still the yaml snapshot
    CHECK(registry.config().refresh_interval == std::chrono::milliseconds(20));
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(300));
    CHECK(rows->load_all_calls.load() >= 3);  // the loop runs at the new interval
    CHECK(registry.status().served_from == "tds");
    CHECK_FALSE(registry.status().stale);
    CHECK(registry.snapshot()->find("NEWCO") != nullptr);
    CHECK(registry.snapshot()->find("ACME") == nullptr);

    registry.reconfigure(yaml_config, tds_pool::make_yaml_source({acme}));  // `rows` is gone
    CHECK(run(ioc, registry.refresh()).ok);
    const auto loads = registry.status().loads_ok;
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(100));
    CHECK(registry.status().loads_ok == loads);  // no loop for yaml
    CHECK(registry.status().source == "yaml");
    CHECK(registry.snapshot()->find("ACME") != nullptr);
    registry.stop();
}

namespace {

std::string snapshot_path() {
    char pattern[] = "/tmp/tg-registry-XXXXXX";
    const char* dir = ::mkdtemp(pattern);
    REQUIRE(dir != nullptr);
    return std::string(dir) + "/snapshot.json";
}

/// Waits (bounded) for the worker to write the snapshot file.
bool file_appears(const std::string& path) {
    for (int i = 0; i < 200; ++i) {
        if (::access(path.c_str(), F_OK) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

}  // namespace

TEST_CASE("a failing first load is not fatal: the snapshot file serves, stale", "[registry]") {
    auto config = small_config();
    config.snapshot_file = snapshot_path();
    {
        auto owned = std::make_unique<scripted_source>();
        owned->rows = {tenant("ACME", "acme-sql"), tenant("OLD", "old-sql", false)};
        tds_pool::tenant_registry registry(config, std::move(owned));
        REQUIRE(registry.load_at_start());
        CHECK(registry.status().served_from == "tds");
        REQUIRE(file_appears(config.snapshot_file));
    }
    auto owned = std::make_unique<scripted_source>();
    auto* source = owned.get();
    source->failing = true;
    tds_pool::tenant_registry registry(config, std::move(owned));
    REQUIRE(registry.load_at_start());
    auto status = registry.status();
    CHECK(status.served_from == "disk");
    CHECK(status.stale);
    CHECK(status.loads_failed == 1);
    CHECK(status.last_error == "registry down");
    CHECK(registry.snapshot()->tenants.size() == 2);
    CHECK(registry.snapshot()->find("OLD")->active == false);

    // the source returns: the next refresh serves from it again
    source->failing = false;
    source->rows = {tenant("ACME", "acme-sql-2")};
    asio::io_context ioc;
    CHECK(run(ioc, registry.refresh()).ok);
    status = registry.status();
    CHECK(status.served_from == "tds");
    CHECK_FALSE(status.stale);
    CHECK(registry.snapshot()->find("ACME")->server == "acme-sql-2");
}

TEST_CASE("without a snapshot file a failing first load leaves the registry empty", "[registry]") {
    auto owned = std::make_unique<scripted_source>();
    owned->failing = true;
    auto config = small_config();
    config.snapshot_file = snapshot_path();  // configured, but never written
    tds_pool::tenant_registry registry(config, std::move(owned));
    CHECK_FALSE(registry.load_at_start());
    CHECK(registry.status().served_from == "none");
    CHECK(registry.snapshot()->loaded_at == std::chrono::system_clock::time_point{});
}

TEST_CASE("on-demand look-ups of unknown codes are rate-limited across codes", "[registry]") {
    auto owned = std::make_unique<scripted_source>();
    auto* source = owned.get();
    auto config = small_config();
    config.negative_cache_max = 100000;
    config.max_lookups_per_second = 1;
    config.lookup_burst = 3;
    tds_pool::tenant_registry registry(config, std::move(owned));
    registry.load_initial();
    asio::io_context ioc;
    for (int i = 0; i < 1000; ++i) {
        CHECK(run(ioc, registry.find("RANDOM" + std::to_string(i))).status == lookup_status::not_found);
    }
    CHECK(source->load_one_calls.load() <= 4);  // the burst, plus a token refilled meanwhile
    const auto status = registry.status();
    CHECK(status.lookups == static_cast<std::uint64_t>(source->load_one_calls.load()));
    CHECK(status.lookups_limited == 1000 - status.lookups);
}
