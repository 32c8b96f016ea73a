// The /health body built from cached state: the seed's fields, pool use, probes, filter.
#include <catch2/catch.hpp>

#include "gateway/admin/health_report.hpp"

namespace {

gateway::health_inputs sample_inputs() {
    auto snapshot = std::make_shared<tds_pool::registry_snapshot>();
    tds_pool::tenant_record acme;
    acme.code = "ACME";
    acme.name = "ACME Corporation";
    acme.server = "acme-sql.database.windows.net";
    acme.database = "FieldServiceDB_ACME";
    tds_pool::tenant_record tech = acme;
    tech.code = "TECHSTART";
    tech.name = "TechStart Inc";
    tech.server = "sql.techstart.com";
    tds_pool::tenant_record gone = acme;
    gone.code = "OLD";
    gone.active = false;
    snapshot->tenants = {{"ACME", acme}, {"TECHSTART", tech}, {"OLD", gone}};
    snapshot->loaded_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

    gateway::health_inputs in;
    in.registry = snapshot;
    in.registry_status.source = "yaml";
    in.registry_status.tenants = 3;
    in.pool_max_size = 10;
    in.active_pools = 1;
    tds_pool::pool_snapshot pool;
    pool.tenant = "ACME";
    pool.max_size = 8;
    pool.idle = 2;
    pool.busy = 1;
    pool.waiters = 4;
    in.pools.push_back(pool);
    gateway::probe_result ok;
    ok.ok = true;
    ok.latency = std::chrono::microseconds(28'400);
    ok.checked_at = snapshot->loaded_at;
    in.probes["ACME"] = ok;
    gateway::probe_result down;
    down.error = "tenant_db_unavailable: connection refused";
    down.checked_at = snapshot->loaded_at;
    in.probes["TECHSTART"] = down;
    in.now = snapshot->loaded_at;
    return in;
}

}  // namespace

TEST_CASE("health lists active tenants with the seed's fields", "[metrics][health]") {
    const auto body = gateway::health_report(sample_inputs(), std::nullopt);
    CHECK(body.at("activePools").to_number<std::int64_t>() == 1);
    const auto& tenants = body.at("tenants").as_array();
    REQUIRE(tenants.size() == 2);  // OLD is inactive
    const auto& acme = tenants[0].as_object();
    CHECK(acme.at("companyCode").as_string() == "ACME");
    CHECK(acme.at("server").as_string() == "acme-sql.database.windows.net");
    CHECK(acme.at("hosting").as_string() == "Customer Hosted (Azure)");
    CHECK(acme.at("connected").as_bool());
    CHECK(acme.at("latency").as_string() == "28ms");
    const auto& pool = acme.at("pool").as_object();
    CHECK(pool.at("size").to_number<std::int64_t>() == 3);
    CHECK(pool.at("busy").to_number<std::int64_t>() == 1);
    CHECK(pool.at("waiting").to_number<std::int64_t>() == 4);
    CHECK(pool.at("max").to_number<std::int64_t>() == 8);
    CHECK(acme.at("lastCheck").as_string() == "2023-11-14T22:13:20.000Z");
    const auto& tech = tenants[1].as_object();
    CHECK_FALSE(tech.at("connected").as_bool());
    CHECK(tech.at("status").as_string() == "down");
    CHECK(tech.at("latency").is_null());
    CHECK(tech.at("lastError").as_string() == "tenant_db_unavailable: connection refused");
    CHECK(tech.at("pool").as_object().at("max").to_number<std::int64_t>() == 10);
    const auto& registry = body.at("registry").as_object();
    CHECK(registry.at("source").as_string() == "yaml");
    CHECK_FALSE(registry.at("stale").as_bool());
}

TEST_CASE("a tenant never probed is unknown, not connected", "[metrics][health]") {
    auto in = sample_inputs();
    in.probes.clear();
    const auto body = gateway::health_report(in, std::string("ACME"));
    const auto& tenants = body.at("tenants").as_array();
    REQUIRE(tenants.size() == 1);
    CHECK(tenants[0].as_object().at("status").as_string() == "unknown");
    CHECK_FALSE(tenants[0].as_object().at("connected").as_bool());
    CHECK(tenants[0].as_object().at("lastCheck").is_null());
}

TEST_CASE("latency text is whole milliseconds", "[metrics][health]") {
    CHECK(gateway::latency_text(std::chrono::microseconds(156'900)) == "156ms");
    CHECK(gateway::latency_text(std::chrono::microseconds(300)) == "0ms");
}

TEST_CASE("lastCheck and the like are ISO-8601 UTC with milliseconds", "[metrics][health]") {
    using namespace std::chrono;
    const system_clock::time_point t = system_clock::time_point(seconds(1700000000)) + milliseconds(7);
    CHECK(gateway::iso8601(t) == "2023-11-14T22:13:20.007Z");
    CHECK(gateway::iso8601(system_clock::time_point(seconds(951782400)) + milliseconds(999)) ==
          "2000-02-29T00:00:00.999Z");
    CHECK(gateway::iso8601(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}
