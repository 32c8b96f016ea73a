// The refresh loop's cheap change check (registry.change_poll_interval): a full load only
// when the source says the tenants changed; a source without a check falls back to the
// refresh interval.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

#include <boost/asio/io_context.hpp>

#include "tds_pool/registry/registry_client.hpp"

namespace asio = boost::asio;
using tds_pool::change_answer;
using tds_pool::tenant_record;

namespace {

tenant_record tenant(std::string code, std::string server) {
    tenant_record r;
    r.code = std::move(code);
    r.name = r.code + " Inc";
    r.server = std::move(server);
    r.database = "FieldServiceDB";
    return r;
}

/// A tds-like source whose change check answers what the test sets.
struct marked_source final : tds_pool::registry_source {
    std::mutex mutex;
    std::vector<tenant_record> rows;
    change_answer answer = change_answer::unchanged;
    bool check_fails = false;
    std::atomic<int> loads{0};
    std::atomic<int> checks{0};

    tds_pool::outcome<std::vector<tenant_record>> load_all() override {
        ++loads;
        std::lock_guard lock(mutex);
        answer = answer == change_answer::changed ? change_answer::unchanged : answer;
        return rows;
    }
    tds_pool::outcome<std::optional<tenant_record>> load_one(const std::string&) override {
        return std::optional<tenant_record>();
    }
    tds_pool::outcome<change_answer> check_changed() override {
        ++checks;
        std::lock_guard lock(mutex);
        if (check_fails) return tds_pool::db_error(tds_pool::errc::tenant_db_unavailable, "registry down");
        return answer;
    }
    const char* kind() const noexcept override { return "tds"; }
};

conf::registry_config polling_config() {
    conf::registry_config c;
    c.source = conf::registry_source::tds;
    c.refresh_interval = std::chrono::minutes(10);
    c.change_poll_interval = std::chrono::milliseconds(20);
    return c;
}

void run_for(asio::io_context& ioc, std::chrono::milliseconds time) {
    ioc.restart();
    ioc.run_for(time);
}

}  // namespace

TEST_CASE("an unchanged registry is checked, not reloaded; a change reloads it", "[registry][poll]") {
    auto source = std::make_unique<marked_source>();
    auto* raw = source.get();
    raw->rows = {tenant("ACME", "db-a")};
    tds_pool::tenant_registry registry(polling_config(), std::move(source));
    registry.load_initial();
    asio::io_context ioc;
    registry.start(ioc.get_executor());
    run_for(ioc, std::chrono::milliseconds(300));
    CHECK(raw->loads.load() == 1);
    CHECK(raw->checks.load() >= 3);
    CHECK(registry.status().checks_unchanged >= 3);
    CHECK(registry.status().loads_ok == 1);

    {
        std::lock_guard lock(raw->mutex);
        raw->rows = {tenant("ACME", "db-b")};
        raw->answer = change_answer::changed;
    }
    run_for(ioc, std::chrono::milliseconds(300));
    CHECK(raw->loads.load() == 2);
    CHECK(registry.snapshot()->find("ACME")->server == "db-b");
    CHECK(registry.status().checks_changed == 1);
    registry.stop();
    run_for(ioc, std::chrono::milliseconds(50));
}

TEST_CASE("a failed check is counted and loads nothing", "[registry][poll]") {
    auto source = std::make_unique<marked_source>();
    auto* raw = source.get();
    raw->check_fails = true;
    tds_pool::tenant_registry registry(polling_config(), std::move(source));
    registry.load_initial();
    asio::io_context ioc;
    registry.start(ioc.get_executor());
    run_for(ioc, std::chrono::milliseconds(200));
    CHECK(raw->loads.load() == 1);
    CHECK(registry.status().checks_failed >= 2);
    CHECK_FALSE(registry.status().stale);
    registry.stop();
    run_for(ioc, std::chrono::milliseconds(50));
}

TEST_CASE("a source without a check is asked once, then the refresh interval rules", "[registry][poll]") {
    auto source = std::make_unique<marked_source>();
    auto* raw = source.get();
    raw->answer = change_answer::unsupported;
    auto config = polling_config();
    config.refresh_interval = std::chrono::milliseconds(150);
    tds_pool::tenant_registry registry(config, std::move(source));
    registry.load_initial();
    asio::io_context ioc;
    registry.start(ioc.get_executor());
    run_for(ioc, std::chrono::milliseconds(400));
    // one check per full load at most, never one per poll
    CHECK(raw->loads.load() >= 2);
    CHECK(raw->checks.load() <= raw->loads.load());
    registry.stop();
    run_for(ioc, std::chrono::milliseconds(50));
}

TEST_CASE("change_poll_interval 0 turns the check off", "[registry][poll]") {
    auto source = std::make_unique<marked_source>();
    auto* raw = source.get();
    auto config = polling_config();
    config.change_poll_interval = std::chrono::milliseconds(0);
    tds_pool::tenant_registry registry(config, std::move(source));
    registry.load_initial();
    asio::io_context ioc;
    registry.start(ioc.get_executor());
    run_for(ioc, std::chrono::milliseconds(150));
    CHECK(raw->checks.load() == 0);
    CHECK(raw->loads.load() == 1);
    registry.stop();
    run_for(ioc, std::chrono::milliseconds(50));
}
