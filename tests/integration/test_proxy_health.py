"""Upstream health: a server failing active health checks is taken out of rotation and
put back once it passes again; passive failures mark a dead server down; all servers
down answers 502 upstream_unavailable."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error, http_json  # noqa: E402

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


def test_round_robin_over_healthy_servers():
    seen = servers_seen("/web")
    expect(seen.count("a") == 5 and seen.count("b") == 5, seen)


def test_failing_health_checks_take_a_server_out_and_back():
    http_json(a.port, "GET", "/set-health?ok=0")
    expect(gw.wait_for_line(r"upstream server down.*" + str(a.port), 10) is not None,
           "no 'upstream server down' log line")
    expect(set(servers_seen("/web")) == {"b"}, "a still gets requests")
    http_json(a.port, "GET", "/set-health?ok=1")
    expect(gw.wait_for_line(r"upstream server up.*" + str(a.port), 10) is not None,
           "no 'upstream server up' log line")
    expect(set(servers_seen("/web")) == {"a", "b"}, "a did not come back")


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


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    a.stop()
    b.stop()
