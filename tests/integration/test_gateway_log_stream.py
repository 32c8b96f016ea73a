"""One log stream: every line the gateway writes — its own, the pools' and the
registry's — is a JSON object with a level, on stdout; `log.level` drops lines below it
and `log.access: false` turns the access lines off."""

import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, http_request  # noqa: E402

DEAD_PORT = proxy_support.free_port()  # nothing listens: the tenant's pool cannot open


def config(log):
    return f"""
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: yaml
  default_user: u
  default_credential_ref: env:TG_TEST_SECRET
pools: {{encrypt: false, acquire_timeout: 2s, login_timeout: 1s}}
health: {{probe_interval: 1h}}
routes:
  - {{methods: [GET], path: /api/one, kind: sql, sql: "SELECT 1 AS one", result: one}}
  - {{methods: [GET], path: /echo, kind: echo, tenant_required: false}}
tenants:
  - {{code: DOWN, server: 127.0.0.1, port: {DEAD_PORT}, database: D}}
log: {log}
"""


def lines_of(gateway):
    gateway.signal(signal.SIGTERM)
    gateway.wait(20)
    return [line for line in gateway.lines if line.strip()]


def parsed(lines):
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}")
        expect(isinstance(record, dict) and record.get("level") in ("debug", "info", "warn", "error"),
               f"no level: {line!r}")
        out.append(record)
    return out


def test_every_line_is_json_pool_lines_included():
    gateway = harness.start_gateway(config("{level: info, access: true}"),
                                    env={"TG_TEST_SECRET": "x"})
    status, _, _ = http_request(gateway.port, "GET", "/api/one?company=down")
    expect(status in (503, 504), status)
    http_request(gateway.port, "GET", "/echo")
    records = parsed(lines_of(gateway))
    pool_lines = [r for r in records if r.get("component") == "tds_pool"]
    expect(any(r["level"] == "warn" and "open failed" in r["msg"] for r in pool_lines),
           f"no pool warning in {records}")
    expect(any(r.get("msg") == "access" for r in records), "no access lines")


def test_level_and_access_switches():
    gateway = harness.start_gateway(config("{level: warn, access: false}"),
                                    env={"TG_TEST_SECRET": "x"})
    http_request(gateway.port, "GET", "/api/one?company=down")
    for _ in range(5):
        http_request(gateway.port, "GET", "/echo")
    records = parsed(lines_of(gateway))
    expect(not any(r.get("msg") == "access" for r in records), "access lines while access: false")
    below = [r for r in records if r["level"] in ("debug", "info") and "listening on" not in r["msg"]]
    expect(below == [], f"lines below warn: {below}")
    expect(any(r["level"] == "warn" for r in records), "warnings were dropped too")


harness.run_tests(dict(globals()))
