"""No session state survives a request: through the gateway, with one pooled connection
per tenant (pools.max_size: 1) so every request shares it, an open transaction (left by a
request that timed out), a changed SET option and a #temp table are never visible to the
next request. /metrics counts the resets and the discards with their reason."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect  # noqa: E402
import test_e2e_flow as flow  # noqa: E402

CONFIG = """
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
pools:
  encrypt: false
  max_size: 1
  acquire_timeout: 10s
tenants:
  - {{code: DCPSP, name: DCPSP Inc, server: 127.0.0.1, port: {port}, database: FieldServiceDB}}
routes:
  - method: POST
    path: /slow-insert
    kind: sql
    result: exec
    query_timeout: 1s
    sql: >-
      BEGIN TRANSACTION;
      INSERT INTO Customers (Name, City) VALUES (N'Ghost', N'Nowhere');
      WAITFOR DELAY '00:00:03';
      COMMIT
  - method: POST
    path: /insert-open
    kind: sql
    result: exec
    sql: BEGIN TRANSACTION; INSERT INTO Customers (Name, City) VALUES (N'Uncommitted', N'Nowhere')
  - method: POST
    path: /insert-committed
    kind: sql
    result: exec
    sql: BEGIN TRANSACTION; INSERT INTO Customers (Name, City) VALUES (N'Committed', N'Nowhere'); COMMIT
  - method: GET
    path: /nowhere
    kind: sql
    sql: SELECT Name AS name FROM Customers WHERE City = N'Nowhere' ORDER BY Name
  - method: GET
    path: /limited
    kind: sql
    sql: SET ROWCOUNT 1; SELECT CustomerId AS id FROM Customers
  - method: GET
    path: /customers
    kind: sql
    sql: SELECT CustomerId AS id FROM Customers
  - method: POST
    path: /scratch
    kind: sql
    result: exec
    sql: "CREATE TABLE #scratch (a INT); INSERT INTO #scratch (a) VALUES (1)"
  - method: GET
    path: /scratch
    kind: sql
    sql: "SELECT COUNT(*) AS n FROM #scratch"
  - method: GET
    path: /spid
    kind: sql
    result: one
    sql: SELECT @@SPID AS spid
"""


def call(port, method, path):
    sep = "&" if "?" in path else "?"
    return harness.http_json(port, method, f"{path}{sep}company=DCPSP")


def names_nowhere(port):
    status, _, body = call(port, "GET", "/nowhere")
    expect(status == 200, f"/nowhere: {status} {body}")
    return [row["name"] for row in body]


def test_session_state_never_reaches_the_next_request():
    own = flow.start_own_server()
    path = harness.write_temp(CONFIG.format(port=own.port))
    gateway = harness.Server([harness.build_path("gateway", "tenant-gateway"), "--config", path],
                             env={"TDSD_PASSWORD": flow.TENANT_PW}, name="tenant-gateway")
    try:
        port = gateway.port
        # (a) a transaction left open by a request that timed out
        status, _, body = call(port, "POST", "/slow-insert")
        expect(status == 504, f"slow insert: {status} {body}")
        expect(names_nowhere(port) == [], "the timed-out request's row is not visible")
        status, _, body = call(port, "POST", "/insert-committed")
        expect(status == 200, f"BEGIN after the time-out: {status} {body}")
        expect(names_nowhere(port) == ["Committed"])

        # a transaction a request leaves open is rolled back, the connection kept
        status, _, spid = call(port, "GET", "/spid")
        expect(status == 200, f"/spid: {status} {spid}")
        status, _, body = call(port, "POST", "/insert-open")
        expect(status == 200, f"insert left open: {status} {body}")
        expect(names_nowhere(port) == ["Committed"], "the uncommitted row is rolled back")
        expect(call(port, "GET", "/spid")[2] == spid, "the connection was reset, not replaced")

        # (b) a SET option
        status, _, body = call(port, "GET", "/limited")
        expect(status == 200 and len(body) == 1, f"SET ROWCOUNT 1 applies within its request: {body}")
        status, _, everyone = call(port, "GET", "/customers")
        expect(status == 200 and len(everyone) > 1, f"SET ROWCOUNT leaked: {everyone}")

        # (c) a #temp table
        status, _, body = call(port, "POST", "/scratch")
        expect(status == 200, f"create #scratch: {status} {body}")
        status, _, body = call(port, "GET", "/scratch")
        expect(status >= 400, f"#scratch leaked into the next request: {status} {body}")
        status, _, body = call(port, "POST", "/scratch")
        expect(status == 200, f"#scratch again: {status} {body}")
        expect(call(port, "GET", "/spid")[2] == spid, "one connection throughout")

        metrics = harness.scrape_metrics(port)
        resets = harness.metric_value(metrics, "tenant_gateway_pool_connection_resets_total", tenant="DCPSP")
        # reset: the new connection's first lease (to learn @@OPTIONS), the two inserts and
        # the two CREATE TABLEs; the reads go back without one (nothing they ran can change
        # the session)
        expect(resets is not None and resets >= 5, f"resets counted: {resets}")
        clean = harness.metric_value(metrics, "tenant_gateway_pool_connection_clean_returns_total", tenant="DCPSP")
        expect(clean is not None and clean >= 7, f"clean returns counted: {clean}")
        discarded = harness.metric_value(metrics, "tenant_gateway_pool_connections_discarded_total",
                                         tenant="DCPSP", reason="query_timeout")
        expect(discarded == 1, f"the timed-out connection is discarded and counted: {discarded}")
        expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        gateway.stop()
        own.stop()


if __name__ == "__main__":
    harness.run_tests(dict(globals()))
