"""End to end with the static YAML registry: tenants listed in the configuration file,
changed by rewriting the file and sending SIGHUP; a tenant whose secret is missing is
unavailable while the others keep working."""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_e2e_flow as flow  # noqa: E402

CONFIG = """
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
auth: {{secret_ref: env:TG_AUTH_SECRET}}
pools: {{encrypt: false}}
tenants:
{tenants}
routes:
{login_route}
  - method: GET
    path: /api/customers/{{id}}
    kind: sql
    result: one
    sql: SELECT CustomerId AS id, Name AS name FROM Customers WHERE CustomerId = @id
    params:
      - {{name: id, from: path, type: int, required: true}}
"""


def tenant(code, database, port, credential_ref=None):
    line = f"  - {{code: {code}, name: {code} Inc, server: 127.0.0.1, port: {port}, database: {database}"
    if credential_ref:
        line += f", credential_ref: \"{credential_ref}\""
    return line + "}"


def write_config(path, tenants):
    with open(path, "w") as f:
        f.write(CONFIG.format(tenants="\n".join(tenants), login_route=harness.LOGIN_ROUTE_YAML))


def wait_for_line(gateway, text, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in line for line in gateway.output()):
            return True
        time.sleep(0.1)
    return False


def test_yaml_tenants_follow_the_config_file():
    own = flow.start_own_server()
    env = {"TDSD_PASSWORD": flow.TENANT_PW, "TG_AUTH_SECRET": flow.AUTH_SECRET}
    path = harness.write_temp("")
    write_config(path, [tenant("DCPSP", "FieldServiceDB", own.port),
                        tenant("DEMO", "FieldServiceDB_Demo", own.port)])
    gateway = harness.Server([harness.build_path("gateway", "tenant-gateway"), "--config", path],
                             env=env, name="tenant-gateway")
    try:
        def customer(code):
            return harness.http_json(gateway.port, "GET", f"/api/customers/1?company={code}")

        status, _, body = customer("DCPSP")
        expect(status == 200 and body["id"] == 1, f"{status} {body}")
        expect(customer("DEMO")[0] == 200, "DEMO's secret comes from the default")
        status, _, body = customer("ACME")
        expect_error(status, body, 404, "tenant_not_found")

        # A tenant whose secret cannot be resolved makes the whole file unusable: the
        # reload is refused with the place, and the running configuration keeps serving.
        write_config(path, [tenant("DEMO", "FieldServiceDB_Demo", own.port, "env:NO_SUCH_SECRET_YAML"),
                            tenant("ACME", "FieldServiceDB_Demo", own.port)])
        gateway.signal(signal.SIGHUP)
        expect(wait_for_line(gateway, "config reload refused"), "a reload with an unset secret is refused")
        refused = [line for line in gateway.output() if "config reload refused" in line][-1]
        located = re.search(re.escape(path) + r":\d+:\d+: ", refused)
        expect(located and "NO_SUCH_SECRET_YAML is not set" in refused, refused)
        expect(customer("ACME")[0] == 404 and customer("DCPSP")[0] == 200, "the old tenants still serve")

        write_config(path, [tenant("DEMO", "FieldServiceDB_Demo", own.port),
                            tenant("ACME", "FieldServiceDB_Demo", own.port)])
        gateway.signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and customer("ACME")[0] != 200:
            time.sleep(0.2)
        expect(customer("ACME")[0] == 200, "a tenant added to the file is served after SIGHUP")
        expect(customer("DEMO")[0] == 200, "DEMO's secret still comes from the default")
        status, _, body = customer("DCPSP")
        expect_error(status, body, 404, "tenant_not_found")
        expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        gateway.stop()
        own.stop()


if __name__ == "__main__":
    harness.run_tests(dict(globals()))
