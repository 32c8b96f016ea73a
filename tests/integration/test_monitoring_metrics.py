"""/metrics over real HTTP: counters move by exactly the requests made, the exposition
passes `promtool check metrics`, a real Prometheus server scrapes it, tenant labels are
capped, per-tenant pool and probe series appear for tdsd-backed tenants, access policies."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import monitoring_support as ms  # noqa: E402
from harness import expect, expect_error, http_json, http_request, run_tests  # noqa: E402

TENANTS = None
GATEWAY = None


def setup():
    global TENANTS, GATEWAY
    if GATEWAY is None:
        TENANTS = ms.Tenants()
        GATEWAY = ms.start_gateway(ms.gateway_config(TENANTS))
    return GATEWAY


def scrape(gateway=None, headers=None):
    status, hdrs, data = http_request((gateway or setup()).port, "GET", "/metrics",
                                      headers=headers)
    expect(status == 200, f"/metrics status {status}: {data[:300]!r}")
    expect(hdrs.get("content-type") == "text/plain; version=0.0.4; charset=utf-8", hdrs)
    return data.decode()


def parse(text):
    return harness.parse_metrics(text)


def value(samples, name, **labels):
    """Exactly the series with these labels (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples, name):
    return {labels: v for (n, labels), v in samples.items() if n == name}


def test_counters_move_by_exactly_the_requests_made():
    gateway = setup()
    before = parse(scrape())
    for _ in range(7):
        status, _, _ = http_request(gateway.port, "GET", "/api/echo?company=ACME")
        expect(status == 200, status)
    for _ in range(3):
        status, _, _ = http_request(gateway.port, "GET", "/api/nothing-here?company=ACME")
        expect(status == 404, status)
    for _ in range(2):
        status, _, _ = http_request(gateway.port, "DELETE", "/api/echo?company=DEMO")
        expect(status == 405, status)
    for _ in range(4):
        status, _, _ = http_request(gateway.port, "GET", "/livez")
        expect(status == 200, status)
    after = parse(scrape())

    def diff(**labels):
        name = "tenant_gateway_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    expect(diff(tenant="ACME", route="/api/echo", method="GET", status_class="2xx") == 7,
           "7 echo requests")
    expect(diff(tenant="ACME", route="_unmatched", method="GET", status_class="4xx") == 3,
           "3 unmatched routes")
    expect(diff(tenant="DEMO", route="_unmatched", method="DELETE", status_class="4xx") == 2,
           "2 wrong methods")
    expect(diff(tenant="_none", route="/livez", method="GET", status_class="2xx") == 4, "4 livez")
    # The first scrape itself was answered (and counted) before the second one.
    expect(diff(tenant="_none", route="/metrics", method="GET", status_class="2xx") == 1,
           "1 scrape")
    hist = "tenant_gateway_http_request_duration_seconds_count"
    expect(value(after, hist, route="/api/echo", method="GET")
           - value(before, hist, route="/api/echo", method="GET") == 7, "7 durations")
    # Only this scrape is in flight while it is rendered.
    expect(value(after, "tenant_gateway_http_requests_in_flight") == 1, "in flight")


def test_tenant_pool_and_probe_series():
    ms.wait_for(lambda: ms.all_probed(setup()), 20, "every tenant probed")
    samples = ms.wait_for(lambda: (lambda s: s if value(
        s, "tenant_gateway_tenant_up", tenant="ACME") == 1 else None)(parse(scrape())),
        20, "ACME up in metrics")
    expect(value(samples, "tenant_gateway_tenant_up", tenant="GLOBALSEC") == 0, "GLOBALSEC down")
    expect(value(samples, "tenant_gateway_tenant_probe_latency_seconds", tenant="ACME") > 0,
           "probe latency")
    expect(value(samples, "tenant_gateway_tenants", state="up") == 4, "4 tenants up")
    expect(value(samples, "tenant_gateway_tenants", state="down") == 1, "1 tenant down")
    expect(value(samples, "tenant_gateway_tenants_by_hosting", hosting="Your Server") == 2,
           "hosting")
    expect(value(samples, "tenant_gateway_pool_max_connections", tenant="ACME") == 4, "pool max")
    open_now = sum(value(samples, "tenant_gateway_pool_connections", tenant="ACME", state=s)
                   for s in ("idle", "busy", "opening", "resetting"))
    expect(open_now >= 1, "ACME has a pooled connection")
    expect(value(samples, "tenant_gateway_pool_connections_opened_total", tenant="ACME") >= 1,
           "opens")
    expect(value(samples, "tenant_gateway_breaker_state", tenant="ACME", state="closed") == 1,
           "breaker")
    expect(value(samples, "tenant_gateway_pool_acquire_duration_seconds_count", tenant="ACME")
           >= 1, "acquire histogram")
    expect(value(samples, "tenant_gateway_query_duration_seconds_count", tenant="ACME") >= 1,
           "query histogram")
    expect(value(samples, "tenant_gateway_registry_loaded", source="yaml") == 1, "registry")
    expect(value(samples, "tenant_gateway_registry_tenants") == 6, "registry tenants")
    expect(value(samples, "tenant_gateway_process_resident_memory_bytes") > 1e6, "rss")
    expect(value(samples, "tenant_gateway_process_open_fds") > 3, "fds")
    expect(value(samples, "tenant_gateway_uptime_seconds") > 0, "uptime")
    expect(ms.DB_PASSWORD not in scrape(), "a password leaked into /metrics")


def test_promtool_accepts_the_exposition():
    promtool = shutil.which("promtool")
    expect(promtool is not None, "promtool is not installed (scripts/setup installs prometheus)")
    ms.wait_for(lambda: ms.all_probed(setup()), 20, "every tenant probed")
    text = scrape()
    result = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                            capture_output=True, timeout=60)
    expect(result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(),
           f"promtool: rc {result.returncode}\n{result.stdout}\n{result.stderr}")


def prometheus_query(port, query):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    expect(body.get("status") == "success", body)
    return body["data"]["result"]


def test_prometheus_scrapes_the_gateway():
    binary = shutil.which("prometheus")
    expect(binary is not None, "prometheus is not installed (scripts/setup installs it)")
    gateway = setup()
    workdir = tempfile.mkdtemp(prefix="tg-prometheus-")
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: gateway
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs: [{{targets: ["127.0.0.1:{gateway.port}"]}}]
""")
    port = ms.free_port()
    log = open(os.path.join(workdir, "prometheus.log"), "w")
    proc = subprocess.Popen([binary, f"--config.file={config}",
                             f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def up():
            try:
                result = prometheus_query(port, 'up{job="gateway"} == 1')
            except OSError:
                return None
            return result or None
        ms.wait_for(up, 60, "Prometheus reporting up{job=\"gateway\"} == 1", interval=0.5)
        result = ms.wait_for(
            lambda: prometheus_query(port, 'tenant_gateway_tenant_up{tenant="ACME"}') or None,
            30, "a tenant_gateway_ series in Prometheus", interval=0.5)
        expect(result[0]["value"][1] == "1", result)
        result = prometheus_query(port, 'scrape_samples_scraped{job="gateway"}')
        expect(result and float(result[0]["value"][1]) > 50, result)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def test_tenant_label_cap():
    # registered tenants (never connected to: port 1) share _other beyond the cap;
    # a code that was never registered is _unknown and takes no slot
    registered = "tenants:\n" + "".join(
        f"  - {{code: {c}, server: 127.0.0.1, port: 1, database: D{c}}}\n"
        for c in ("AAA", "BBB", "CCC", "DDD"))
    config = ms.gateway_config(None, metrics="  max_tenant_labels: 2\n", extra=registered,
                               probe_interval="1h")
    with ms.start_gateway(config) as gateway:
        sent = {"ZZZ": 2, "AAA": 3, "BBB": 2, "CCC": 4, "DDD": 1}
        for code, n in sent.items():
            for _ in range(n):
                status, _, _ = http_request(gateway.port, "GET", f"/api/echo?company={code}")
                expect(status == 200, status)
        samples = parse(scrape(gateway))
        by_tenant = {}
        for labels, v in series(samples, "tenant_gateway_http_requests_total").items():
            tenant = dict(labels)["tenant"]
            by_tenant[tenant] = by_tenant.get(tenant, 0) + v
        expect(by_tenant.get("AAA") == 3 and by_tenant.get("BBB") == 2, by_tenant)
        expect(by_tenant.get("_other") == 5, by_tenant)
        expect(by_tenant.get("_unknown") == 2, by_tenant)
        expect("CCC" not in by_tenant and "DDD" not in by_tenant and "ZZZ" not in by_tenant, by_tenant)


def test_metrics_access_policies():
    remote = ms.non_loopback_address()
    config = ms.gateway_config(None, metrics="  access: loopback\n", address="0.0.0.0")
    with ms.start_gateway(config) as gateway:
        scrape(gateway)  # loopback client: served
        if remote is not None:
            status, _, body = http_json(gateway.port, "GET", "/metrics", host=remote)
            expect_error(status, body, 403, "forbidden")
        else:
            print("SKIP part: no non-loopback IPv4 address on this host")
    config = ms.gateway_config(None, metrics="  access: token\n  token: scrape-me\n")
    with ms.start_gateway(config) as gateway:
        status, hdrs, body = http_json(gateway.port, "GET", "/metrics")
        expect_error(status, body, 401, "unauthorized")
        text = scrape(gateway, {"Authorization": "Bearer scrape-me"})
        expect("tenant_gateway_http_requests_total" in text, text[:200])
    config = ms.gateway_config(None, metrics="  enabled: false\n").replace(
        "metrics:\n  enabled: true\n", "metrics:\n")
    with ms.start_gateway(config) as gateway:
        status, _, body = http_json(gateway.port, "GET", "/metrics")
        expect_error(status, body, 404, "not_found")


def teardown():
    if GATEWAY is not None:
        GATEWAY.stop()
    if TENANTS is not None:
        TENANTS.stop()


if __name__ == "__main__":
    try:
        run_tests({n: f for n, f in globals().items() if n.startswith("test_")})
    finally:
        teardown()
