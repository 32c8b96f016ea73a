"""The registry database unreachable, and sprays of unknown company codes (issue 13,
items 4 and 5), against tdsd servers over real HTTP and TDS:

- the gateway starts without its registry: /livez 200, /readyz 503, then ready once the
  registry answers (retried with jittered backoff);
- every successful load writes the last-known-good snapshot file (mode 0600, credential
  references only); started with the registry down, the gateway serves from that file
  and /health and /metrics say so, with the snapshot's age;
- 100,000 random unknown codes cost the registry database fewer than 1,000 queries
  (counted by tdsd itself)."""

import os
import re
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

TENANT_PW = "tenant-db-pw-resilience"
REGISTRY_PW = "registry-pw-resilience"
DEMO_DIR = harness.source_path("conf", "demo")


def tdsd_config(login_env, user, databases):
    db_lines = "\n".join(
        f"  - name: {name}\n    file: \":memory:\"\n    init: [{', '.join(os.path.join(DEMO_DIR, f) for f in files)}]"
        for name, files in databases)
    names = ", ".join(name for name, _ in databases)
    return f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: {user}, password: "${{{login_env}}}", databases: [{names}]}}
databases:
{db_lines}
"""


def start_registry():
    """A tdsd serving only the TenantRegistry: every query it counts is a registry query."""
    config = tdsd_config("TDSD_REGISTRY_PASSWORD", "registry_reader", [("TenantRegistry", ["registry.sql"])])
    return tdsd_harness.Tdsd(config, env={"TDSD_REGISTRY_PASSWORD": REGISTRY_PW})


def start_tenant_db():
    config = tdsd_config("TDSD_PASSWORD", "fieldservice_api",
                         [("FieldServiceDB", ["fieldservice_schema.sql", "dcpsp.sql"])])
    return tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": TENANT_PW})


def registry_sql(registry, sql, params=None):
    with registry.connect(user="registry_reader", password=REGISTRY_PW, database="TenantRegistry") as conn:
        conn.cursor().execute(sql, params)


def gateway_config(registry_port, snapshot_file="", refresh="30s"):
    snapshot = f"  snapshot_file: {snapshot_file}\n" if snapshot_file else ""
    return f"""
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: tds
  server: 127.0.0.1
  port: {registry_port}
  database: TenantRegistry
  user: registry_reader
  credential_ref: env:TDSD_REGISTRY_PASSWORD
  refresh_interval: {refresh}
  retry_base: 200ms
  retry_max: 1s
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
{snapshot}pools:
  encrypt: false
  max_size: 4
  login_timeout: 2s
routes:
  - method: GET
    path: /api/customers
    kind: sql
    sql: SELECT CustomerId AS id FROM Customers
"""


def gateway_env():
    return {"TDSD_PASSWORD": TENANT_PW, "TDSD_REGISTRY_PASSWORD": REGISTRY_PW,
            "TENANT_DB_PASSWORD": TENANT_PW}


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(port, path):
    return harness.http_request(port, "GET", path)[0]


def metrics(port):
    return harness.parse_metrics(harness.http_request(port, "GET", "/metrics")[2].decode())


def test_starts_without_the_registry_and_turns_ready_when_it_returns():
    registry = start_registry()
    try:
        expect(registry.control("down") == "ok", "registry listener down")
        gateway = harness.start_gateway(gateway_config(registry.port), env=gateway_env())
        try:
            time.sleep(0.5)
            expect(gateway.proc.poll() is None, "the gateway exited without its registry")
            expect(status_of(gateway.port, "/livez") == 200, "/livez")
            status, headers, body = harness.http_json(gateway.port, "GET", "/readyz")
            expect_error(status, body, 503, "not_ready")
            expect("registry" in body["error"]["message"], body)
            status, _, body = harness.http_json(gateway.port, "GET", "/health")
            expect(status == 200 and body["registry"]["servedFrom"] == "none"
                   and not body["registry"]["loaded"], body)
            expect(registry.control("up") == "ok", "registry listener up")
            # retry_max is 1s: the next attempt comes within about a second
            started = time.monotonic()
            wait_for(lambda: status_of(gateway.port, "/readyz") == 200, 10, "ready after the registry returned")
            expect(time.monotonic() - started < 5, "ready within the backoff")
            status, _, body = harness.http_json(gateway.port, "GET", "/health")
            reg = body["registry"]
            expect(reg["servedFrom"] == "tds" and reg["loaded"] and not reg["stale"], reg)
            out = "\n".join(gateway.output())
            expect(REGISTRY_PW not in out and TENANT_PW not in out, "a secret reached the log")
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        registry.stop()


def test_the_snapshot_file_serves_when_the_registry_is_down_at_start():
    registry = start_registry()
    tenant_db = start_tenant_db()
    directory = tempfile.mkdtemp(prefix="tg-snapshot-")
    snapshot = os.path.join(directory, "registry-snapshot.json")
    try:
        registry_sql(registry, "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %s, Encrypt = 0 "
                               "WHERE CompanyCode = N'DCPSP'", (tenant_db.port,))
        config = gateway_config(registry.port, snapshot_file=snapshot)
        gateway = harness.start_gateway(config, env=gateway_env())
        try:
            wait_for(lambda: os.path.exists(snapshot), 10, "the snapshot file written")
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
        mode = stat.S_IMODE(os.stat(snapshot).st_mode)
        expect(mode == 0o600, f"snapshot mode {oct(mode)}")
        with open(snapshot) as f:
            text = f.read()
        expect(REGISTRY_PW not in text and TENANT_PW not in text, "a secret reached the snapshot file")
        expect("env:TENANT_DB_PASSWORD" in text and "DCPSP" in text, text[:300])
        expect(not [n for n in os.listdir(directory) if n != "registry-snapshot.json"],
               f"temporary files left: {os.listdir(directory)}")

        # the registry goes away; the gateway restarts and serves from the file
        expect(registry.control("down") == "ok", "registry listener down")
        time.sleep(1.1)  # so the snapshot's age is visibly at least a second
        gateway = harness.start_gateway(config, env=gateway_env())
        try:
            expect(status_of(gateway.port, "/readyz") == 200, "a disk snapshot makes the gateway ready")
            status, _, body = harness.http_json(gateway.port, "GET", "/api/customers?company=DCPSP")
            expect(status == 200 and isinstance(body, list) and body, f"{status} {body}")
            # a code the snapshot does not know is asked of the registry, which is down
            status, _, body = harness.http_json(gateway.port, "GET", "/api/customers?company=NOSUCH")
            expect_error(status, body, 503, "registry_unavailable")
            status, _, body = harness.http_json(gateway.port, "GET", "/health")
            reg = body["registry"]
            expect(reg["servedFrom"] == "disk" and reg["stale"] and reg["loaded"], reg)
            expect(reg["ageSeconds"] >= 1 and reg["lastError"], reg)
            samples = metrics(gateway.port)
            expect(harness.metric_value(samples, "tenant_gateway_registry_snapshot_source", source="disk") == 1,
                   "metrics: served from disk")
            expect(harness.metric_value(samples, "tenant_gateway_registry_stale") == 1, "metrics: stale")
            expect(harness.metric_value(samples, "tenant_gateway_registry_age_seconds") >= 1, "metrics: age")
            # the registry returns: served from it again, the file rewritten
            written = os.stat(snapshot).st_mtime_ns
            expect(registry.control("up") == "ok", "registry listener up")
            wait_for(lambda: harness.http_json(gateway.port, "GET", "/health")[2]["registry"]["servedFrom"] == "tds",
                     10, "served from the registry again")
            wait_for(lambda: os.stat(snapshot).st_mtime_ns != written, 10, "the snapshot file rewritten")
            out = "\n".join(gateway.output())
            expect(REGISTRY_PW not in out and TENANT_PW not in out, "a secret reached the log")
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")

        # a corrupt file is logged and ignored: not ready, but running
        with open(snapshot, "w") as f:
            f.write("{corrupt")
        expect(registry.control("down") == "ok", "registry listener down")
        gateway = harness.start_gateway(config, env=gateway_env())
        try:
            expect(status_of(gateway.port, "/readyz") == 503, "a corrupt snapshot does not make it ready")
            wait_for(lambda: "snapshot file not used" in "\n".join(gateway.output()), 5, "the corrupt file logged")
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        tenant_db.stop()
        registry.stop()


WRK_SCRIPT = """
local counter = 0
local id = 0
function setup(thread)
  id = id + 1
  thread:set("id", id)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
function request()
  counter = counter + 1
  local code = string.format("R%d%08X%d", id, math.random(0, 0x7fffffff), counter)
  return wrk.format("GET", "/api/customers?company=" .. code)
end
"""


def spray(port, seconds):
    """wrk sending random unknown codes for `seconds`; returns (requests, non-404s)."""
    script = harness.write_temp(WRK_SCRIPT, suffix=".lua")
    result = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", script, f"http://127.0.0.1:{port}/"],
                            capture_output=True, text=True, timeout=seconds + 60)
    expect(result.returncode == 0, result.stderr)
    done = re.search(r"(\d+) requests in", result.stdout)
    expect(done, result.stdout)
    other = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    non_error = int(done.group(1)) - (int(other.group(1)) if other else 0)
    return int(done.group(1)), non_error


def test_random_unknown_codes_cost_the_registry_a_bounded_number_of_queries():
    registry = start_registry()
    try:
        gateway = harness.start_gateway(gateway_config(registry.port, refresh="5s"), env=gateway_env())
        try:
            wait_for(lambda: status_of(gateway.port, "/readyz") == 200, 10, "ready")
            before = registry.stats()["queries"]
            started = time.monotonic()
            sent = 0
            while sent < 100_000 and time.monotonic() - started < 50:
                requests, answered_2xx = spray(gateway.port, 5)
                expect(answered_2xx == 0, f"{answered_2xx} random codes were answered 2xx")
                sent += requests
            elapsed = time.monotonic() - started
            queries = registry.stats()["queries"] - before
            print(f"{sent} random codes in {elapsed:.1f}s cost the registry {queries} queries")
            expect(sent >= 100_000, f"only {sent} requests in {elapsed:.0f}s")
            # default max_lookups_per_second 10 with a burst of 20, plus a refresh every 5s
            bound = 10 * elapsed + 20 + elapsed / 5 + 5
            expect(queries <= bound, f"{queries} registry queries, bound {bound:.0f}")
            expect(queries < 1000, f"{queries} registry queries for {sent} random codes")
            samples = metrics(gateway.port)
            limited = harness.metric_value(samples, "tenant_gateway_registry_lookups_total", result="rate_limited")
            queried = harness.metric_value(samples, "tenant_gateway_registry_lookups_total", result="queried")
            expect(limited >= sent - queried - 100 and queried <= bound, f"queried {queried}, limited {limited}")
            # a known tenant still resolves from the snapshot (its database is not reachable
            # here: 503, not 404)
            status, _, body = harness.http_json(gateway.port, "GET", "/api/customers?company=DCPSP")
            expect(status != 404, f"{status} {body}")
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        registry.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
