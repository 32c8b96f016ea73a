"""Per-tenant rate and concurrency limits (issue 17, item 1), over real HTTP (and TDS
for the slow route and the registry table):

- a tenant limited to 20 req/s and flooded at 10x by another process gets 429
  rate_limited with Retry-After, RateLimit-Policy and RateLimit, while an unlimited
  tenant's p99 stays within 10% of its baseline (or 2 ms, see below);
- a tenant at max_concurrent_requests is refused at once, not queued;
- RateLimitPerSecond / MaxConcurrentRequests in the registry table override the
  defaults, and a table without them keeps working (the other registry tests);
- the per-user bucket of an `auth: required` route counts each user apart;
- every refusal is counted in /metrics by tenant and reason."""

import base64
import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import monitoring_support as mon  # noqa: E402
import test_registry_resilience as resilience  # noqa: E402

KEY = "rate-limit-test-key-0123456789abcdefghij"

BASE = """
listen: {{address: 127.0.0.1, port: 0, io_threads: 2}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{encrypt: false, max_size: 4, acquire_timeout: 5s}}
health: {{probe_interval: 1h}}
metrics: {{enabled: true}}
{extra}
tenants:
  - {{code: ACME, server: 127.0.0.1, port: {port}, database: FieldServiceDB, rate_limit_per_second: 20}}
  - {{code: INITECH, server: 127.0.0.1, port: {port}, database: FieldServiceDB, max_concurrent_requests: 2}}
  - {{code: GLOBEX, server: 127.0.0.1, port: {port}, database: FieldServiceDB}}
routes:
  - {{methods: [GET], path: /api/echo, kind: echo}}
  - {{methods: [GET], path: /api/user, kind: echo, auth: required}}
  - {{methods: [GET], path: /api/route-limited, kind: echo, rate_limit: {{per_second: 1, burst: 2}}}}
  - {{methods: [GET], path: /api/slow, kind: sql, result: one, sql: "WAITFOR DELAY '00:00:01'; SELECT 1 AS one"}}
"""

# The flooder runs in its own process: in this one, its threads would hold the GIL
# while the other tenant's latency is measured, and the test would measure Python.
FLOODER = r"""
import http.client, sys, threading, time
port, code, rate, seconds, threads = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), 4
counts = {}
lock = threading.Lock()
def run():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    interval = threads / rate
    deadline = time.monotonic() + seconds
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        conn.request("GET", "/api/echo?company=" + code)
        r = conn.getresponse(); r.read()
        with lock:
            counts[r.status] = counts.get(r.status, 0) + 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
ts = [threading.Thread(target=run) for _ in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
print(" ".join(f"{k}:{v}" for k, v in sorted(counts.items())))
"""


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(subject, tenant="ACME"):
    now = int(time.time())
    body = {"iss": "tenant-gateway", "sub": subject, "tenant": tenant, "iat": now, "exp": now + 600}
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(body).encode())
    sig = hmac.new(KEY.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{b64(sig)}"


class Setup:
    """One tdsd for the tenants' database and a gateway with rate_limits `extra`."""

    def __init__(self, extra=""):
        self.db = mon.start_tdsd("127.0.0.1", ["FieldServiceDB"])
        key_file = harness.write_temp(KEY + "\n", suffix=".key")
        extra = f"auth: {{secret_ref: 'file:{key_file}'}}\n" + extra
        self.gw = mon.start_gateway(BASE.format(port=self.db.port, extra=extra))
        self.port = self.gw.port

    def stop(self):
        self.gw.stop()
        self.db.stop()


def expect_rate_limited(status, headers, body, policy, quota):
    expect_error(status, body, 429, "rate_limited")
    retry = int(headers.get("retry-after", "0"))
    expect(retry >= 1, headers)
    expect(headers.get("ratelimit-policy") == f'"{policy}";q={quota};w=1', headers)
    match = re.fullmatch(rf'"{policy}";r=0;t=(\d+)', headers.get("ratelimit", ""))
    expect(match and int(match.group(1)) >= 1, headers)


def p99(samples):
    ordered = sorted(samples)
    return ordered[int(len(ordered) * 0.99) - 1]


def measure(port, code, count=400):
    """p99 of `count` sequential echo requests on one kept-alive connection, in seconds."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    samples = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            conn.request("GET", f"/api/echo?company={code}")
            response = conn.getresponse()
            response.read()
            samples.append(time.perf_counter() - started)
            expect(response.status == 200, f"{code}: {response.status}")
    finally:
        conn.close()
    return p99(samples)


def flood(port, code, rate, seconds):
    return subprocess.Popen([sys.executable, "-c", FLOODER, str(port), code, str(rate), str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def test_a_flooding_tenant_gets_429s_and_another_keeps_its_p99():
    setup = Setup()
    try:
        port = setup.port
        status, headers, body = harness.http_json(port, "GET", "/api/echo?company=ACME")
        expect(status == 200, (status, body))
        # a limited tenant's answers carry its bucket's state
        expect(headers.get("ratelimit-policy") == '"tenant";q=20;w=1', headers)
        expect(re.fullmatch(r'"tenant";r=\d+;t=\d+', headers.get("ratelimit", "")), headers)
        measure(port, "GLOBEX", 100)  # warm-up
        baselines, flooded, counts = [], [], []
        for _ in range(3):
            baselines.append(measure(port, "GLOBEX"))
            flooder = flood(port, "ACME", 200, 4.0)  # 10x ACME's 20 req/s
            time.sleep(0.3)
            flooded.append(measure(port, "GLOBEX"))
            out, _ = flooder.communicate(timeout=30)
            counts.append(dict(pair.split(":") for pair in out.split()))
        refused = sum(int(c.get("429", 0)) for c in counts)
        served = sum(int(c.get("200", 0)) for c in counts)
        expect(refused > served * 3, f"ACME flood answers: {counts}")
        # its bucket spent again, one refusal looked at closely
        answers = [harness.http_json(port, "GET", "/api/echo?company=ACME") for _ in range(40)]
        refusals = [a for a in answers if a[0] == 429]
        expect(refusals, [a[0] for a in answers])
        expect_rate_limited(*refusals[0], "tenant", 20)
        base, under = statistics.median(baselines), statistics.median(flooded)
        print(f"GLOBEX p99 alone {base * 1000:.2f} ms, under ACME's flood {under * 1000:.2f} ms; "
              f"ACME: {served} served, {refused} refused", flush=True)
        # Medians of three p99s each, measured alternately, so a burst of load from
        # elsewhere on a shared 2-core machine moves one sample, not the verdict. The
        # absolute slack: a p99 of well under a millisecond is noise-bound, where 10% is
        # tens of microseconds, less than one scheduler tick of the machine.
        expect(under <= base * 1.10 or under <= base + 0.002,
               f"GLOBEX p99 {under * 1000:.2f} ms under ACME's flood, {base * 1000:.2f} ms alone "
               f"(runs: {baselines} / {flooded})")
        metrics = harness.scrape_metrics(port)
        expect((harness.metric_value(metrics, "tenant_gateway_rate_limited_total", tenant="ACME",
                                     reason="rate") or 0) >= refused, "ACME refusals not counted")
        expect(harness.metric_value(metrics, "tenant_gateway_rate_limited_total", tenant="GLOBEX") is None,
               "GLOBEX was never refused")
    finally:
        setup.stop()


def test_a_refusal_has_the_json_error_and_the_ratelimit_headers():
    setup = Setup()
    try:
        answers = [harness.http_json(setup.port, "GET", "/api/route-limited?company=GLOBEX") for _ in range(3)]
        expect([a[0] for a in answers[:2]] == [200, 200], answers)
        expect_rate_limited(*answers[2], "route", 1)
        # the route's own bucket is apart from the tenant's
        expect(harness.http_json(setup.port, "GET", "/api/echo?company=GLOBEX")[0] == 200)
    finally:
        setup.stop()


def test_a_tenant_over_its_concurrency_limit_is_refused_at_once():
    setup = Setup()
    try:
        port = setup.port
        results = []

        def slow():
            results.append(harness.http_json(port, "GET", "/api/slow?company=INITECH", timeout=10)[0])

        threads = [threading.Thread(target=slow) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.4)
        started = time.monotonic()
        status, headers, body = harness.http_json(port, "GET", "/api/echo?company=INITECH")
        elapsed = time.monotonic() - started
        expect_error(status, body, 429, "rate_limited")
        expect(int(headers.get("retry-after", "0")) >= 1, headers)
        expect(elapsed < 0.2, f"refused after {elapsed:.3f}s: queued, not refused at once")
        # another tenant is not held up by INITECH's slow requests
        expect(harness.http_json(port, "GET", "/api/echo?company=GLOBEX")[0] == 200)
        in_flight = harness.metric_value(harness.scrape_metrics(port), "tenant_gateway_tenant_requests_in_flight",
                                         tenant="INITECH")
        expect(in_flight == 2, f"INITECH in flight: {in_flight}")
        for t in threads:
            t.join()
        expect(results == [200, 200], results)
        expect(harness.http_json(port, "GET", "/api/echo?company=INITECH")[0] == 200, "slots given back")
        metrics = harness.scrape_metrics(port)
        expect(harness.metric_value(metrics, "tenant_gateway_rate_limited_total", tenant="INITECH",
                                    reason="concurrency") == 1, "concurrency refusal not counted")
    finally:
        setup.stop()


def test_the_per_user_bucket_counts_each_user_apart():
    setup = Setup("rate_limits: {per_user_per_second: 1, per_user_burst: 2}")
    try:
        port = setup.port

        def call(subject):
            return harness.http_json(port, "GET", "/api/user?company=GLOBEX",
                                     headers={"Authorization": f"Bearer {token(subject, 'GLOBEX')}"})

        first = [call("7")[0] for _ in range(2)]
        expect(first == [200, 200], first)
        expect_rate_limited(*call("7"), "user", 1)
        expect(call("8")[0] == 200, "another user has a bucket of its own")
        metrics = harness.scrape_metrics(port)
        expect(harness.metric_value(metrics, "tenant_gateway_rate_limited_total", tenant="GLOBEX",
                                    reason="user") == 1, "user refusal not counted")
    finally:
        setup.stop()


def test_registry_columns_override_the_defaults():
    registry = resilience.start_registry()
    tenant_db = resilience.start_tenant_db()
    try:
        sql = lambda text, params=None: resilience.registry_sql(registry, text, params)  # noqa: E731
        sql("ALTER TABLE Tenants ADD RateLimitPerSecond INT")
        sql("ALTER TABLE Tenants ADD MaxConcurrentRequests INT")
        sql("UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %s, Encrypt = 0, "
            "DatabaseName = N'FieldServiceDB' WHERE CompanyCode IN (N'DCPSP', N'DEMO')", (tenant_db.port,))
        sql("UPDATE Tenants SET RateLimitPerSecond = 1 WHERE CompanyCode = N'DCPSP'")
        config = resilience.gateway_config(registry.port) + "rate_limits: {per_second: 1000}\n"
        gateway = harness.start_gateway(config, env=resilience.gateway_env())
        try:
            answers = [harness.http_json(gateway.port, "GET", "/api/customers?company=DCPSP") for _ in range(4)]
            expect(answers[0][0] == 200, answers[0])
            # 1 per second, a burst of 1: of three more within the second, one at most passes
            refused = [a for a in answers[1:] if a[0] == 429]
            expect(len(refused) >= 2, [a[0] for a in answers])
            expect_rate_limited(*refused[0], "tenant", 1)
            # NULL: the default of rate_limits
            codes = [harness.http_json(gateway.port, "GET", "/api/customers?company=DEMO")[0] for _ in range(4)]
            expect(codes == [200] * 4, codes)
            expect(harness.http_json(gateway.port, "GET", "/api/customers?company=DEMO")[1]
                   .get("ratelimit-policy") == '"tenant";q=1000;w=1')
        finally:
            gateway.stop()
    finally:
        registry.stop()
        tenant_db.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
