"""Upstream health: a server failing active health checks is taken out of rotation and
put back once it passes again; passive failures mark a dead server down; all servers
down answers 502 upstream_unavailable."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error, http_json, http_request  # noqa: E402

a = proxy_support.start_node_upstream("a")
b = proxy_support.start_node_upstream("b")
dead_port = proxy_support.free_port()
gw = harness.start_gateway(proxy_support.gateway_config(f"""
  - name: web
    servers: [http://127.0.0.1:{a.port}, http://127.0.0.1:{b.port}]
    health_check: {{path: /health, interval: 200ms, timeout: 1s, healthy_threshold: 2, unhealthy_threshold: 2}}
  - name: flaky
    servers: [http://127.0.0.1:{dead_port}, http://127.0.0.1:{b.port}]
    passive_failures: 2
  - name: gone
    servers: [http://127.0.0.1:{dead_port}]
    passive_failures: 1
""", """
  - {methods: ["*"], path: /web/*, kind: proxy, upstream: web, tenant_required: false}
  - {methods: ["*"], path: /flaky/*, kind: proxy, upstream: flaky, tenant_required: false}
  - {methods: ["*"], path: /gone/*, kind: proxy, upstream: gone, tenant_required: false}
"""), env=proxy_support.GATEWAY_ENV)


def servers_seen(prefix, n=10):
    seen = []
    for _ in range(n):
        status, _, body = http_json(gw.port, "GET", f"{prefix}/who")
        expect(status == 200, f"status {status}: {body}")
        seen.append(body["server"])
    return seen


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def scrape():
    status, _, data = http_request(gw.port, "GET", "/metrics")
    expect(status == 200, f"/metrics status {status}")
    return data.decode()


def upstream_sample(text, name, upstream, port, **labels):
    """The value of `name` for one upstream server, or None when the series is absent."""
    return harness.metric_value(text, name, upstream=upstream,
                                server=f"http://127.0.0.1:{port}", **labels)


def test_round_robin_over_healthy_servers():
    seen = servers_seen("/web")
    expect(seen.count("a") == 5 and seen.count("b") == 5, seen)


def test_failing_health_checks_take_a_server_out_and_back():
    http_json(a.port, "GET", "/set-health?ok=0")
    expect(gw.wait_for_line(r"upstream server down.*" + str(a.port), 10) is not None,
           "no 'upstream server down' log line")
    expect(set(servers_seen("/web")) == {"b"}, "a still gets requests")
    metrics = scrape()
    expect(upstream_sample(metrics, "tenant_gateway_upstream_server_up", "web", a.port) == 0.0,
           "a is not reported down in /metrics")
    expect(upstream_sample(metrics, "tenant_gateway_upstream_server_up", "web", b.port) == 1.0,
           "b is not reported up in /metrics")
    http_json(a.port, "GET", "/set-health?ok=1")
    expect(gw.wait_for_line(r"upstream server up.*" + str(a.port), 10) is not None,
           "no 'upstream server up' log line")
    expect(set(servers_seen("/web")) == {"a", "b"}, "a did not come back")
    expect(upstream_sample(scrape(), "tenant_gateway_upstream_server_up", "web", a.port) == 1.0,
           "a is not reported up again in /metrics")


def test_passive_failures_mark_a_server_down():
    # Connection refused twice: down. Every request still succeeds on b meanwhile.
    for _ in range(6):
        status, _, body = http_json(gw.port, "GET", "/flaky/x")
        expect(status == 200 and body["server"] == "b", body)
    expect(gw.wait_for_line(r"upstream server down.*" + str(dead_port), 1) is not None,
           "dead server not marked down")


def test_all_servers_down_is_502():
    status, _, body = http_json(gw.port, "GET", "/gone/x")
    expect_error(status, body, 502, "upstream_unavailable")
    status, _, body = http_json(gw.port, "GET", "/gone/x")
    expect_error(status, body, 502, "upstream_unavailable")
    expect("down" in body["error"]["message"] or "up" in body["error"]["message"], body)


def test_upstream_requests_and_errors_counted():
    name = "tenant_gateway_upstream_requests_total"
    before = scrape()
    seen = servers_seen("/web", 4)
    after = scrape()
    moved = sum((upstream_sample(after, name, "web", p) or 0) -
                (upstream_sample(before, name, "web", p) or 0) for p in (a.port, b.port))
    expect(moved == len(seen), f"web requests moved by {moved}, want {len(seen)}")
    errors = upstream_sample(after, "tenant_gateway_upstream_errors_total", "flaky", dead_port)
    expect(errors is not None and errors >= 1, f"dead server's errors: {errors}")
    expect(upstream_sample(after, "tenant_gateway_upstream_connections", "web", b.port,
                           state="idle") is not None, "no connection gauge")


def test_promtool_accepts_upstream_metrics():
    promtool = shutil.which("promtool")
    expect(promtool is not None, "promtool is not installed (scripts/setup installs prometheus)")
    result = subprocess.run([promtool, "check", "metrics"], input=scrape(), text=True,
                            capture_output=True, timeout=60)
    expect(result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(),
           f"promtool: rc {result.returncode}\n{result.stdout}\n{result.stderr}")


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    a.stop()
    b.stop()
