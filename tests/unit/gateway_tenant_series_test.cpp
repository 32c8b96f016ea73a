// The per-tenant history behind /dashboard's charts: slot rotation, the bounded window
// and tenant set, percentiles from the slot histograms, concurrent recording.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "gateway/admin/series_report.hpp"
#include "gateway/telemetry/metrics_registry.hpp"
#include "gateway/telemetry/tenant_series.hpp"

using namespace std::chrono_literals;
using gateway::tenant_series;

namespace {

const auto origin = tenant_series::clock::time_point{} + 1000h;

/// The time `slots` slot lengths (plus `extra`) after the origin.
tenant_series::clock::time_point at(int slots, std::chrono::milliseconds extra = 0ms) {
    return origin + tenant_series::slot_length * slots + extra;
}

gateway::tenant_window window_of(const tenant_series& s, const char* tenant, tenant_series::clock::time_point now) {
    auto all = s.read(now, std::string(tenant));
    REQUIRE(all.size() == 1);
    return all.front();
}

std::uint32_t ok_requests(const gateway::slot_values& v) { return v.requests[0]; }

}  // namespace

TEST_CASE("latency buckets double from 100 microseconds", "[series]") {
    using gateway::latency_bucket;
    CHECK(latency_bucket(0us) == 0);
    CHECK(latency_bucket(99us) == 0);
    CHECK(latency_bucket(100us) == 1);
    CHECK(latency_bucket(199us) == 1);
    CHECK(latency_bucket(200us) == 2);
    CHECK(latency_bucket(1ms) == 4);  // [800 us, 1.6 ms)
    CHECK(latency_bucket(-5us) == 0);
    CHECK(latency_bucket(1h) == gateway::latency_bucket_count - 1);
    CHECK(gateway::latency_bucket_bounds(4) == std::pair<double, double>{800.0, 1600.0});
}

TEST_CASE("percentiles come from the histogram, within a bucket's width", "[series]") {
    gateway::latency_counts counts{};
    CHECK_FALSE(gateway::latency_percentile_ms(counts, 0.5));
    // 98 requests at ~1 ms, 2 at ~50 ms: p50 lies in [0.8, 1.6) ms, p99 in 50 ms's bucket
    // [25.6, 51.2) ms.
    counts[gateway::latency_bucket(1ms)] = 98;
    counts[gateway::latency_bucket(50ms)] = 2;
    const double p50 = *gateway::latency_percentile_ms(counts, 0.5);
    const double p99 = *gateway::latency_percentile_ms(counts, 0.99);
    CHECK(p50 >= 0.8);
    CHECK(p50 < 1.6);
    CHECK(p99 >= 25.6);
    CHECK(p99 <= 51.2);
    // Linear inside the bucket: the middle rank of a bucket lands mid-bucket.
    gateway::latency_counts one{};
    one[5] = 10;  // [1.6, 3.2) ms
    CHECK(*gateway::latency_percentile_ms(one, 0.5) == Approx(2.4));
    CHECK(*gateway::latency_percentile_ms(one, 1.0) == Approx(3.2));
}

TEST_CASE("requests land in the slot of their time and the window slides", "[series]") {
    tenant_series s(origin);
    s.record_request("ACME", 200, 1ms, at(0, 1ms));
    s.record_request("ACME", 200, 1ms, at(0, 9s));
    s.record_request("ACME", 404, 1ms, at(1));
    s.record_request("ACME", 503, 1ms, at(1, 5s));

    auto w = window_of(s, "ACME", at(1, 6s));
    const auto last = tenant_series::slot_count - 1;
    CHECK(ok_requests(w.slots[last - 1]) == 2);
    CHECK(w.slots[last].requests == std::array<std::uint32_t, 3>{0, 1, 1});
    CHECK_FALSE(w.slots[last - 2].has_data);

    // 89 slots later the first slot is the oldest of the window; one more and it is gone.
    const int span = static_cast<int>(tenant_series::slot_count);
    s.record_request("ACME", 200, 1ms, at(span - 1));
    w = window_of(s, "ACME", at(span - 1));
    CHECK(ok_requests(w.slots[0]) == 2);
    CHECK(ok_requests(w.slots[last]) == 1);
    w = window_of(s, "ACME", at(span));
    CHECK(ok_requests(w.slots[0]) == 0);
    CHECK(w.slots[0].requests[1] == 1);
}

TEST_CASE("a slot reused a window later starts from zero", "[series]") {
    tenant_series s(origin);
    const int span = static_cast<int>(gateway::tenant_ring::ring_size);
    for (int i = 0; i < 5; ++i) s.record_request("ACME", 200, 3ms, at(2));
    s.record_pool("ACME", 7, 1, at(2));
    s.record_probe("ACME", std::nullopt, 1, at(2));
    // The same ring slot, one turn of the ring later.
    s.record_request("ACME", 500, 3ms, at(2 + span));
    const auto w = window_of(s, "ACME", at(2 + span));
    const auto& v = w.slots.back();
    CHECK(v.requests == std::array<std::uint32_t, 3>{0, 0, 1});
    CHECK_FALSE(v.pool_busy);
    CHECK_FALSE(v.probe_failed);
    // A late record for the old epoch does not touch the newer slot.
    s.record_request("ACME", 200, 3ms, at(2));
    CHECK(window_of(s, "ACME", at(2 + span)).slots.back().requests[0] == 0);
}

TEST_CASE("pool samples keep the most busy, probes mark a tenant down since the first failure", "[series]") {
    tenant_series s(origin);
    s.record_pool("ACME", 3, 2, at(0));
    s.record_pool("ACME", 5, 0, at(0, 1s));
    s.record_pool("ACME", 1, 4, at(0, 2s));
    s.record_probe("ACME", 1500us, 1000, at(0, 3s));
    auto w = window_of(s, "ACME", at(0, 4s));
    CHECK(w.slots.back().pool_busy == 5u);
    CHECK(w.slots.back().pool_idle == 4u);
    CHECK(w.slots.back().probe_us == 1500u);
    CHECK_FALSE(w.down_since_ms);

    s.record_probe("ACME", std::nullopt, 2000, at(1));
    s.record_probe("ACME", std::nullopt, 3000, at(2));
    w = window_of(s, "ACME", at(2));
    CHECK(w.down_since_ms == 2000);
    CHECK(w.slots.back().probe_failed);
    CHECK_FALSE(w.slots.back().probe_us);
    s.record_probe("ACME", 900us, 4000, at(3));
    CHECK_FALSE(window_of(s, "ACME", at(3)).down_since_ms);
}

TEST_CASE("rotate clears the next slot ahead, the window keeps its oldest slot", "[series]") {
    tenant_series s(origin);
    const int span = static_cast<int>(tenant_series::slot_count);
    s.record_request("ACME", 200, 1ms, at(0));
    s.record_request("ACME", 200, 1ms, at(span - 1));
    s.rotate(at(span - 1));  // prepares epoch 90's slot
    auto w = window_of(s, "ACME", at(span - 1));
    CHECK(ok_requests(w.slots.front()) == 1);
    CHECK(ok_requests(w.slots.back()) == 1);
    s.record_request("ACME", 404, 1ms, at(span));
    w = window_of(s, "ACME", at(span));
    CHECK(w.slots.back().requests[1] == 1);
    CHECK(w.slots.back().requests[0] == 0);
}

TEST_CASE("the tenant set is capped, the least recently active goes first", "[series]") {
    tenant_series s(origin);
    s.set_limit(2);
    s.record_request("A", 200, 1ms, at(0));
    s.record_request("B", 200, 1ms, at(1));
    s.record_request("A", 200, 1ms, at(2));  // B is now the least recently active
    s.record_request("C", 200, 1ms, at(3));
    CHECK(s.size() == 2);
    CHECK(s.read(at(3), std::string("B")).empty());
    CHECK(s.read(at(3), std::string("A")).size() == 1);
    s.set_limit(0);
    s.record_request("D", 200, 1ms, at(3));
    CHECK(s.read(at(3), std::string("D")).empty());
}

TEST_CASE("rotate drops tenants with nothing in the window", "[series]") {
    tenant_series s(origin);
    s.record_request("OLD", 200, 1ms, at(0));
    s.record_request("NEW", 200, 1ms, at(50));
    s.rotate(at(89));
    CHECK(s.size() == 2);
    s.rotate(at(90));
    CHECK(s.size() == 1);
    CHECK(s.read(at(90)).front().tenant == "NEW");
}

TEST_CASE("the ring's memory is fixed per tenant", "[series]") {
    // The README quotes about 11 KB per tenant: 90 slots of counters and a histogram.
    CHECK(sizeof(gateway::tenant_ring) <= 12 * 1024);
    INFO("tenant_ring bytes: " << sizeof(gateway::tenant_ring));
    CHECK(sizeof(gateway::tenant_ring) >= tenant_series::slot_count * 4 * (3 + gateway::latency_bucket_count));
}

TEST_CASE("concurrent recorders, rotation and readers lose nothing within a slot", "[series]") {
    tenant_series s(origin);
    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    std::atomic<bool> done{false};
    std::thread reader([&] {
        while (!done.load()) {
            (void)s.read(at(0, 5s));
            s.rotate(at(0, 5s));
        }
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t) {
        writers.emplace_back([&, t] {
            const std::string tenant = t % 2 == 0 ? "ACME" : "GLOBEX";
            for (int i = 0; i < per_thread; ++i) s.record_request(tenant, 200, std::chrono::microseconds(i), at(0, 1s));
        });
    }
    for (auto& w : writers) w.join();
    done.store(true);
    reader.join();
    for (const char* tenant : {"ACME", "GLOBEX"}) {
        const auto w = window_of(s, tenant, at(0, 5s));
        CHECK(ok_requests(w.slots.back()) == 2 * per_thread);
        std::uint64_t histogram = 0;
        for (auto c : w.slots.back().latency) histogram += c;
        CHECK(histogram == 2 * per_thread);
    }
}

TEST_CASE("the metrics registry charts registered tenants only", "[series]") {
    gateway::metrics_registry metrics;
    metrics.set_tenant_filter([](std::string_view code) { return code == "ACME"; });
    for (const char* tenant : {"ACME", "MADEUP", ""}) {
        gateway::finished_request r;
        r.tenant = tenant;
        r.method = "GET";
        r.status = 200;
        r.elapsed = 2ms;
        metrics.record(r);
    }
    const auto windows = metrics.history().read(tenant_series::clock::now());
    REQUIRE(windows.size() == 1);
    CHECK(windows.front().tenant == "ACME");
    CHECK(ok_requests(windows.front().slots.back()) == 1);
}

TEST_CASE("the series report has one value per slot, null where nothing was recorded", "[series]") {
    tenant_series s(origin);
    s.record_request("ACME", 200, 2ms, at(5));
    s.record_request("ACME", 200, 2ms, at(5, 1s));
    s.record_probe("ACME", std::nullopt, 1234, at(5, 1s));
    gateway::series_clock clock;
    clock.now = std::chrono::system_clock::time_point{} + 100000s;
    clock.into_slot = 4s;
    const auto report = gateway::series_report(s.read(at(5, 4s)), clock);
    CHECK(report.at("slots").as_int64() == 90);
    CHECK(report.at("windowStart").as_int64() == (100000 - 4 - 890) * 1000);
    const auto& t = report.at("tenants").as_array().at(0).as_object();
    CHECK(t.at("companyCode").as_string() == "ACME");
    CHECK(t.at("downSince").as_int64() == 1234);
    CHECK(t.at("requests").as_uint64() == 2);
    const auto& ok = t.at("rps").at("2xx").as_array();
    REQUIRE(ok.size() == 90);
    CHECK(ok.at(89).as_double() == Approx(0.5));  // 2 requests in the 4 s the slot has run
    CHECK(ok.at(88).is_null());
    CHECK(t.at("latencyMs").at("p50").as_array().at(89).as_double() > 1.6);
    CHECK(t.at("probeFailed").as_array().at(89).as_bool());
    CHECK(t.at("probeMs").as_array().at(89).is_null());
}
