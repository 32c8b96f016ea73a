"""Registry changes reach every instance (issue 16, item 2), against tdsd over real HTTP
and TDS: with a long refresh_interval (10 minutes), the cheap change check
(`SELECT MAX(UpdatedAt), COUNT(*) FROM Tenants`, every registry.change_poll_interval)

- loads nothing while the table is unchanged (tenant_gateway_registry_refreshes_total
  stays, tenant_gateway_registry_change_checks_total{result="unchanged"} grows);
- moves a tenant within the poll interval after an UPDATE of its row that stamps
  UpdatedAt, with exactly one full load;
- on a Tenants table without UpdatedAt, says so once and leaves changes to the refresh
  interval."""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect  # noqa: E402
import test_registry_resilience as resilience  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

POLL_SECONDS = 0.5


def start_tenant_db(data_file):
    """A tenant database whose Customers come from `data_file` (dcpsp.sql or demo.sql)."""
    config = resilience.tdsd_config("TDSD_PASSWORD", "fieldservice_api",
                                    [("FieldServiceDB", ["fieldservice_schema.sql", data_file])])
    return tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": resilience.TENANT_PW})


def start_registry_without_updated_at():
    """A TenantRegistry whose Tenants table has no UpdatedAt column (an older schema)."""
    with open(os.path.join(resilience.DEMO_DIR, "registry.sql"), encoding="utf-8") as f:
        text = f.read()
    old = text.replace("    MaxConnections INT NULL,\n    UpdatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()\n",
                       "    MaxConnections INT NULL\n")
    expect(old != text, "registry.sql no longer has the UpdatedAt line this test removes")
    directory = tempfile.mkdtemp(prefix="tg-registry-old-")
    path = os.path.join(directory, "registry.sql")
    with open(path, "w", encoding="utf-8") as f:
        f.write(old)
    config = f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: registry_reader, password: "${{TDSD_REGISTRY_PASSWORD}}", databases: [TenantRegistry]}}
databases:
  - name: TenantRegistry
    file: ":memory:"
    init: [{path}]
"""
    return tdsd_harness.Tdsd(config, env={"TDSD_REGISTRY_PASSWORD": resilience.REGISTRY_PW})


def gateway_config(registry_port, refresh="10m"):
    return resilience.gateway_config(registry_port, refresh=refresh).replace(
        "  retry_base: 200ms\n", f"  change_poll_interval: {int(POLL_SECONDS * 1000)}ms\n  retry_base: 200ms\n"
    ) + "health: {probe_interval: 1h}\n"


def point_dcpsp_at(registry, port, stamp=True):
    stamped = ", UpdatedAt = SYSUTCDATETIME()" if stamp else ""
    resilience.registry_sql(
        registry, "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %d, Encrypt = 0, "
                  "DatabaseName = N'FieldServiceDB'" % port + stamped + " WHERE CompanyCode = N'DCPSP'")


def customer_names(port):
    status, _, body = harness.http_json(
        port, "GET", "/api/customer-names?company=DCPSP")
    expect(status == 200 and isinstance(body, list) and body, (status, body))
    return {row["name"] for row in body}


def counters(port):
    samples = resilience.metrics(port)
    value = lambda name, **labels: harness.metric_value(samples, name, **labels) or 0.0  # noqa: E731
    return {"loads": value("tenant_gateway_registry_refreshes_total", result="success"),
            "unchanged": value("tenant_gateway_registry_change_checks_total", result="unchanged"),
            "changed": value("tenant_gateway_registry_change_checks_total", result="changed")}


NAMES_ROUTE = """  - method: GET
    path: /api/customer-names
    kind: sql
    sql: SELECT Name AS name FROM Customers
"""


def test_an_update_moves_a_tenant_within_the_poll_interval_and_no_change_loads_nothing():
    registry = resilience.start_registry()
    water = start_tenant_db("dcpsp.sql")
    coffee = start_tenant_db("demo.sql")
    try:
        point_dcpsp_at(registry, water.port)
        gateway = harness.start_gateway(gateway_config(registry.port).replace("routes:\n", "routes:\n" + NAMES_ROUTE),
                                        env=resilience.gateway_env())
        try:
            port = gateway.port
            expect("DCPSP Water Utility" in customer_names(port), "served from the first database")

            # unchanged: checked every poll, never loaded again
            before = counters(port)
            time.sleep(POLL_SECONDS * 6)
            after = counters(port)
            expect(after["loads"] == before["loads"], ("a full load without a change", before, after))
            expect(after["unchanged"] >= before["unchanged"] + 3, ("too few change checks", before, after))
            expect(after["changed"] == before["changed"], (before, after))

            # an UPDATE that stamps UpdatedAt: the tenant moves within the poll interval
            point_dcpsp_at(registry, coffee.port)
            changed_at = time.monotonic()
            moved = resilience.wait_for(lambda: "Demo Coffee Roasters" in customer_names(port),
                                        POLL_SECONDS * 4 + 2, "the tenant to move to the second database")
            took = time.monotonic() - changed_at
            expect(moved and took < POLL_SECONDS * 4 + 2, took)
            time.sleep(POLL_SECONDS * 3)
            settled = counters(port)
            expect(settled["loads"] == after["loads"] + 1, ("one full load per change", after, settled))
            expect(settled["changed"] == after["changed"] + 1, (after, settled))
            expect(any("tenant moved" in line and "DCPSP" in line for line in gateway.output()),
                   "the move was logged")
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        coffee.stop()
        water.stop()
        registry.stop()


def test_a_table_without_updated_at_falls_back_to_the_refresh_interval():
    registry = start_registry_without_updated_at()
    water = start_tenant_db("dcpsp.sql")
    coffee = start_tenant_db("demo.sql")
    try:
        point_dcpsp_at(registry, water.port, stamp=False)
        config = gateway_config(registry.port, refresh="2s").replace("routes:\n", "routes:\n" + NAMES_ROUTE)
        gateway = harness.start_gateway(config, env=resilience.gateway_env())
        try:
            port = gateway.port
            expect("DCPSP Water Utility" in customer_names(port), "served from the first database")
            point_dcpsp_at(registry, coffee.port, stamp=False)
            resilience.wait_for(lambda: "Demo Coffee Roasters" in customer_names(port), 6,
                                "the full refresh to move the tenant")
            checks = counters(port)
            expect(checks["unchanged"] == 0 and checks["changed"] == 0, checks)
            told = [line for line in gateway.output() if "no change check" in line]
            expect(len(told) == 1, told)
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        coffee.stop()
        water.stop()
        registry.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
