// Request counters: sharded counting, status classes, method labels and the tenant cap.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/telemetry/metrics_registry.hpp"

namespace {

gateway::finished_request request_of(std::string_view tenant, unsigned status,
                                     std::string_view method = "GET") {
    gateway::finished_request r;
    r.tenant = tenant;
    r.route = "/api/customers/{id}";
    r.method = method;
    r.status = status;
    r.elapsed = std::chrono::milliseconds(3);
    return r;
}

std::uint64_t count_of(const gateway::request_totals& totals, const gateway::request_key& key) {
    const auto it = totals.requests.find(key);
    return it == totals.requests.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("status classes and method labels", "[metrics]") {
    CHECK(gateway::status_class(200) == "2xx");
    CHECK(gateway::status_class(404) == "4xx");
    CHECK(gateway::status_class(599) == "5xx");
    CHECK(gateway::status_class(99) == "other");
    CHECK(gateway::method_label("GET") == "GET");
    CHECK(gateway::method_label("BREW") == "OTHER");
}

TEST_CASE("requests from many threads are all counted", "[metrics]") {
    gateway::metrics_registry registry;
    constexpr int threads = 8, per_thread = 1000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&registry] {
            for (int i = 0; i < per_thread; ++i) registry.record(request_of("ACME", 200));
        });
    }
    for (auto& w : workers) w.join();
    const auto totals = registry.totals();
    CHECK(count_of(totals, {"ACME", "/api/customers/{id}", "GET", "2xx"}) ==
          threads * per_thread);
    const auto& hist = totals.durations.at({"/api/customers/{id}", "GET"});
    CHECK(hist.count == threads * per_thread);
    CHECK(hist.sum_seconds == Approx(threads * per_thread * 0.003));
}

TEST_CASE("series are split by status class, method and missing tenant", "[metrics]") {
    gateway::metrics_registry registry;
    registry.record(request_of("ACME", 200));
    registry.record(request_of("ACME", 503));
    registry.record(request_of("ACME", 200, "PROPFIND"));
    registry.record(request_of("", 404));
    const auto totals = registry.totals();
    CHECK(count_of(totals, {"ACME", "/api/customers/{id}", "GET", "2xx"}) == 1);
    CHECK(count_of(totals, {"ACME", "/api/customers/{id}", "GET", "5xx"}) == 1);
    CHECK(count_of(totals, {"ACME", "/api/customers/{id}", "OTHER", "2xx"}) == 1);
    CHECK(count_of(totals, {"_none", "/api/customers/{id}", "GET", "4xx"}) == 1);
}

TEST_CASE("tenants beyond the label cap share _other", "[metrics]") {
    gateway::metrics_registry registry;
    registry.set_tenant_label_limit(2);
    for (const auto* code : {"A", "B", "C", "D", "A"}) registry.record(request_of(code, 200));
    const auto totals = registry.totals();
    CHECK(count_of(totals, {"A", "/api/customers/{id}", "GET", "2xx"}) == 2);
    CHECK(count_of(totals, {"B", "/api/customers/{id}", "GET", "2xx"}) == 1);
    CHECK(count_of(totals, {"_other", "/api/customers/{id}", "GET", "2xx"}) == 2);
    CHECK(count_of(totals, {"C", "/api/customers/{id}", "GET", "2xx"}) == 0);
    CHECK(registry.tenant_label("B") == "B");
    CHECK(registry.tenant_label("E") == "_other");
}

TEST_CASE("codes never registered share _unknown and take no label slot", "[metrics]") {
    gateway::metrics_registry registry;
    registry.set_tenant_label_limit(2);
    std::set<std::string, std::less<>> registered = {"ACME", "BRAVO"};
    registry.set_tenant_filter(
        [&registered](std::string_view code) { return registered.find(code) != registered.end(); });
    for (int i = 0; i < 50; ++i) registry.record(request_of("RANDOM" + std::to_string(i), 404));
    registry.record(request_of("ACME", 200));
    registry.record(request_of("BRAVO", 200));
    const auto totals = registry.totals();
    CHECK(count_of(totals, {"_unknown", "/api/customers/{id}", "GET", "4xx"}) == 50);
    CHECK(count_of(totals, {"ACME", "/api/customers/{id}", "GET", "2xx"}) == 1);
    CHECK(count_of(totals, {"BRAVO", "/api/customers/{id}", "GET", "2xx"}) == 1);
    // a code registered after it was first seen gets its own label from then on
    registry.set_tenant_label_limit(3);
    registry.record(request_of("LATE", 200));
    registered.insert("LATE");
    registry.record(request_of("LATE", 200));
    const auto later = registry.totals();
    CHECK(count_of(later, {"LATE", "/api/customers/{id}", "GET", "2xx"}) == 1);
    CHECK(count_of(later, {"_unknown", "/api/customers/{id}", "GET", "2xx"}) == 1);
}

TEST_CASE("in-flight requests go up and down", "[metrics]") {
    gateway::metrics_registry registry;
    registry.request_started();
    registry.request_started();
    registry.request_finished();
    CHECK(registry.in_flight() == 1);
}

TEST_CASE("durations land in the right bucket", "[metrics]") {
    gateway::bucket_counts b;
    b.observe(0.0005);  // <= 1 ms
    b.observe(0.003);   // <= 5 ms
    b.observe(100.0);   // +Inf
    CHECK(b.buckets[0] == 1);
    CHECK(b.buckets[2] == 1);
    CHECK(b.buckets.back() == 1);
    CHECK(b.count == 3);
}
