"""Shared set-up for the monitoring tests: tdsd servers playing tenant databases on
different loopback addresses (so the hosting classification has something to classify),
a gateway whose YAML registry points at them, and small helpers to wait and check."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402
from harness import expect  # noqa: E402

DB_PASSWORD = "mon-pw-123"
SCHEMA = """
CREATE TABLE Customers (Id INT PRIMARY KEY, Name NVARCHAR(100) NOT NULL)
GO
INSERT INTO Customers (Id, Name) VALUES (1, 'First'), (2, 'Second')
GO
"""


def tdsd_config(address, databases):
    """A tdsd on `address` serving `databases` to the fieldservice_api login."""
    schema = harness.write_temp(SCHEMA, suffix=".sql")
    dbs = "\n".join(f"  - {{name: {name}, file: \":memory:\", init: [{schema}]}}"
                    for name in databases)
    return f"""
listen: {{address: {address}, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: fieldservice_api, password: "${{TDSD_TEST_PASSWORD}}", databases: ["*"]}}
databases:
{dbs}
"""


def start_tdsd(address, databases):
    return tdsd_harness.Tdsd(tdsd_config(address, databases),
                             env={"TDSD_TEST_PASSWORD": DB_PASSWORD})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tenants:
    """Three database servers: ours (DCPSP, DEMO) on 127.0.0.1, ACME's on 127.0.0.2,
    TechStart's on 127.0.0.3; GLOBALSEC points at 127.0.0.4 where nothing listens."""

    def __init__(self):
        self.own = start_tdsd("127.0.0.1", ["FieldServiceDB", "FieldServiceDB_Demo"])
        self.acme = start_tdsd("127.0.0.2", ["FieldServiceDB_ACME"])
        self.techstart = start_tdsd("127.0.0.3", ["FieldServiceDB"])
        self.dead_port = free_port()

    def registry_yaml(self):
        rows = [
            ("DCPSP", "DCPSP Production", "127.0.0.1", self.own.port, "FieldServiceDB", True),
            ("DEMO", "Demo Company", "127.0.0.1", self.own.port, "FieldServiceDB_Demo", True),
            ("ACME", "ACME Corporation", "127.0.0.2", self.acme.port, "FieldServiceDB_ACME", True),
            ("TECHSTART", "TechStart Inc", "127.0.0.3", self.techstart.port, "FieldServiceDB", True),
            ("GLOBALSEC", "GlobalSec LLC", "127.0.0.4", self.dead_port, "FieldServiceDB", True),
            ("FORMER", "Former Customer", "127.0.0.1", self.own.port, "FieldServiceDB", False),
        ]
        out = ["tenants:"]
        for code, name, server, port, db, active in rows:
            out.append(f"  - {{code: {code}, name: \"{name}\", server: \"{server}\", port: {port}, "
                       f"database: {db}, active: {'true' if active else 'false'}}}")
        return "\n".join(out)

    def stop(self):
        for server in (self.own, self.acme, self.techstart):
            server.stop()


def gateway_config(tenants, health="", metrics="", extra="", probe_interval="500ms",
                   address="127.0.0.1"):
    """A gateway config with the YAML registry of `tenants` and fast probes."""
    return f"""
listen: {{address: {address}, port: 0, io_threads: 2}}
limits: {{drain_timeout: 2s}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
  hosting:
    own_server_patterns: ["127.0.0.1"]
    azure_patterns: ["127.0.0.2"]
    aws_patterns: ["127.0.0.3"]
pools:
  encrypt: false
  max_size: 4
  acquire_timeout: 2s
  login_timeout: 3s
  breaker: {{failure_threshold: 2, base_backoff: 200ms, max_backoff: 1s}}
health:
  probe_interval: {probe_interval}
  probe_timeout: 2s
{health}
metrics:
  enabled: true
{metrics}
routes:
  - {{methods: [GET], path: /api/echo, kind: echo}}
  - {{methods: [GET], path: /public/*, kind: echo, tenant_required: false}}
{tenants.registry_yaml() if tenants else ""}
{extra}
"""


def start_gateway(config_text):
    return harness.start_gateway(config_text, env={"TG_TEST_DB_PASSWORD": DB_PASSWORD})


def get_json(gateway, path, headers=None):
    return harness.http_json(gateway.port, "GET", path, headers=headers)


def wait_for(predicate, timeout, what, interval=0.1):
    """Polls `predicate` until it returns a true value; fails with `what` on time-out."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def tenants_by_code(body):
    return {t["companyCode"]: t for t in body["tenants"]}


def all_probed(gateway):
    """The /health body once every listed tenant has been probed at least once."""
    status, _, body = get_json(gateway, "/health")
    expect(status == 200, f"/health status {status}: {body}")
    if all(t["lastCheck"] for t in body["tenants"]) and body["tenants"]:
        return body
    return None


ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LATENCY_RE = re.compile(r"^\d+ms$")


def check_type(value, kind, where):
    """A tiny schema checker: kind is a type, a tuple of types, a regex or a dict/list."""
    if isinstance(kind, dict):
        expect(isinstance(value, dict), f"{where}: want object, got {value!r}")
        for key, sub in kind.items():
            expect(key in value, f"{where}: missing key {key!r} in {value!r}")
            check_type(value[key], sub, f"{where}.{key}")
    elif isinstance(kind, list):
        expect(isinstance(value, list), f"{where}: want array, got {value!r}")
        for i, item in enumerate(value):
            check_type(item, kind[0], f"{where}[{i}]")
    elif isinstance(kind, re.Pattern):
        expect(isinstance(value, str) and kind.match(value), f"{where}: {value!r} !~ {kind.pattern}")
    else:
        types = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python: only accept it where bool is asked for.
        ok = isinstance(value, types) and (bool in types or not isinstance(value, bool))
        expect(ok, f"{where}: {value!r} is not {types}")


class OneOf:
    """Schema helper: the value matches one of several kinds (e.g. a regex or None)."""

    def __init__(self, *kinds):
        self.kinds = kinds


def matches(value, kind):
    try:
        check_type(value, kind, "")
        return True
    except AssertionError:
        return False


def check_schema(value, kind, where="$"):
    if isinstance(kind, OneOf):
        expect(any(matches(value, k) for k in kind.kinds), f"{where}: {value!r} matches none")
    elif isinstance(kind, dict):
        expect(isinstance(value, dict), f"{where}: want object, got {value!r}")
        for key, sub in kind.items():
            expect(key in value, f"{where}: missing key {key!r}")
            check_schema(value[key], sub, f"{where}.{key}")
    elif isinstance(kind, list):
        expect(isinstance(value, list), f"{where}: want array, got {value!r}")
        for i, item in enumerate(value):
            check_schema(item, kind[0], f"{where}[{i}]")
    else:
        check_type(value, kind, where)


NULL = type(None)
HEALTH_SCHEMA = {
    "status": str,
    "activePools": int,
    "tenants": [{
        "companyCode": str, "name": str, "server": str, "database": str, "hosting": str,
        "connected": bool, "status": str,
        "latency": OneOf(LATENCY_RE, NULL),
        "latencyMs": OneOf((int, float), NULL),
        "pool": {"size": int, "idle": int, "busy": int, "opening": int, "waiting": int,
                 "max": int},
        "breaker": str,
        "lastError": OneOf(str, NULL),
        "lastCheck": OneOf(ISO_RE, NULL),
    }],
    "registry": {"source": str, "servedFrom": str, "tenants": int, "loaded": bool,
                 "lastRefresh": OneOf(ISO_RE, NULL), "stale": bool,
                 "ageSeconds": OneOf(int, NULL), "lastError": OneOf(str, NULL),
                 "lookups": int, "lookupsRateLimited": int},
}


def non_loopback_address():
    """An IPv4 address of this host that is not loopback (connecting to it from here
    makes the gateway see a non-loopback peer), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address
