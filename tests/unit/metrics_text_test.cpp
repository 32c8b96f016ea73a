// The Prometheus text format: HELP/TYPE lines, escaping, number formatting, histograms.
#include <catch2/catch.hpp>

#include <limits>

#include "gateway/telemetry/metrics_text.hpp"

TEST_CASE("label values are escaped", "[metrics]") {
    CHECK(gateway::escape_label_value(R"(a"b\c)") == R"(a\"b\\c)");
    CHECK(gateway::escape_label_value("line\nbreak") == "line\\nbreak");
    CHECK(gateway::escape_label_value("plain") == "plain");
}

TEST_CASE("values are written the way Prometheus reads them", "[metrics]") {
    CHECK(gateway::format_metric_value(3) == "3");
    CHECK(gateway::format_metric_value(0.25) == "0.25");
    CHECK(gateway::format_metric_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(gateway::format_metric_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("a family has HELP and TYPE before its samples", "[metrics]") {
    gateway::metrics_writer w;
    w.family("tenant_gateway_x_total", "Things.\nMore.", "counter");
    w.sample("tenant_gateway_x_total", {{"tenant", "A\"B"}, {"route", "/r"}}, 2);
    CHECK(w.text() ==
          "# HELP tenant_gateway_x_total Things.\\nMore.\n"
          "# TYPE tenant_gateway_x_total counter\n"
          "tenant_gateway_x_total{tenant=\"A\\\"B\",route=\"/r\"} 2\n");
}

TEST_CASE("a histogram has cumulative buckets, +Inf, sum and count", "[metrics]") {
    gateway::metrics_writer w;
    w.histogram("h_seconds", {{"tenant", "A"}}, {0.1, 1.0}, {1, 3}, 4, 2.5);
    CHECK(w.text() ==
          "h_seconds_bucket{tenant=\"A\",le=\"0.1\"} 1\n"
          "h_seconds_bucket{tenant=\"A\",le=\"1\"} 3\n"
          "h_seconds_bucket{tenant=\"A\",le=\"+Inf\"} 4\n"
          "h_seconds_sum{tenant=\"A\"} 2.5\n"
          "h_seconds_count{tenant=\"A\"} 4\n");
}
