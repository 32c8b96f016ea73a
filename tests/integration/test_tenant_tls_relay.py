"""The TLS relay's two ways of moving an encrypted connection's bytes, over real FreeTDS,
real TLS and tdsd: the lease holder moves them itself on the pool's fast path (small
requests, whole replies), the relay's threads whenever FreeTDS may block (a reply larger
than a socket holds, a time-out's cancel, validation, the reset). These tests switch one
connection between the two again and again and check that no byte is lost, reordered or
given to the wrong request, that a broken server connection is noticed in either mode,
and that closed connections leave no descriptor behind."""

import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402

sys.path.insert(0, harness.source_path("tests"))
sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tls_material  # noqa: E402
import monitoring_support as support  # noqa: E402

DB_PASSWORD = support.DB_PASSWORD
BIG_ROWS = 3000
PAD = 120  # characters per row: the big reply is ~400 kB of TDS, far more than a socket holds


def schema():
    rows = [f"({i}, N'{'r' + str(i).rjust(PAD - 1, 'x')}')" for i in range(1, BIG_ROWS + 1)]
    inserts = "\n".join(f"INSERT INTO Big (Id, Pad) VALUES {', '.join(rows[i:i + 500])}\nGO"
                        for i in range(0, len(rows), 500))
    return f"""
CREATE TABLE Customers (Id INT PRIMARY KEY, Name NVARCHAR(100) NOT NULL)
GO
INSERT INTO Customers (Id, Name) VALUES {', '.join(f"({i}, N'Customer {i}')" for i in range(1, 51))}
GO
CREATE TABLE Big (Id INT PRIMARY KEY, Pad NVARCHAR(200) NOT NULL)
GO
{inserts}
"""


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tg-relay-")
        self.ca = tls_material.make_ca(self.dir, "tenant-gateway relay test CA")
        cert = tls_material.make_server_cert(self.ca, self.dir, "db", dns=("db.relay.test",), ips=("127.0.0.1",))
        init = harness.write_temp(schema(), suffix=".sql")
        config = f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: fieldservice_api, password: "${{TDSD_TEST_PASSWORD}}", databases: ["*"]}}
databases:
  - {{name: RelayDB, file: ":memory:", init: [{init}]}}
tls: {{cert_file: {cert.cert}, key_file: {cert.key}, mode: required}}
"""
        self.tdsd = support.tdsd_harness.Tdsd(config, env={"TDSD_TEST_PASSWORD": DB_PASSWORD})

    def stop(self):
        self.tdsd.stop()


def gateway_config(server, max_size):
    return f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 2}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools:
  ca_file: {server.ca.cert}
  max_size: {max_size}
  acquire_timeout: 5s
  query_timeout: 5s
  validate_after: 1s
tenants:
  - {{code: RELAY, name: Relay, server: 127.0.0.1, port: {server.tdsd.port}, database: RelayDB}}
metrics: {{enabled: true}}
routes:
  - method: GET
    path: /api/customers/{{id}}
    kind: sql
    result: one
    sql: "SELECT Id AS id, Name AS name FROM Customers WHERE Id = @id"
    params: [{{name: id, from: path, type: int, required: true, min: 1, max: 1000}}]
  - method: GET
    path: /api/big
    kind: sql
    max_rows: {BIG_ROWS}
    sql: "SELECT Id AS id, Pad AS pad FROM Big ORDER BY Id"
  - {{method: GET, path: /api/count, kind: sql, sql: "SELECT COUNT(*) AS n, MIN(Id) AS lo, MAX(Name) AS hi FROM Customers"}}
  - method: GET
    path: /api/slow
    kind: sql
    query_timeout: 300ms
    sql: "WAITFOR DELAY '00:00:02'; SELECT 1 AS done"
"""


def start(server, max_size):
    return harness.start_gateway(gateway_config(server, max_size), env={"TG_TEST_DB_PASSWORD": DB_PASSWORD})


def customer(port, i):
    status, _, body = harness.http_json(port, "GET", f"/api/customers/{i}?company=RELAY")
    expect(status == 200 and body == {"id": i, "name": f"Customer {i}"}, (i, status, body))


def big(port):
    status, _, body = harness.http_json(port, "GET", "/api/big?company=RELAY", timeout=30)
    expect(status == 200 and len(body) == BIG_ROWS, (status, str(body)[:200]))
    for i in (0, 1, BIG_ROWS // 2, BIG_ROWS - 1):
        expect(body[i]["id"] == i + 1 and body[i]["pad"] == "r" + str(i + 1).rjust(PAD - 1, "x"), body[i])


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_one_connection_switches_between_the_fast_path_and_the_relay_threads():
    server = Server()
    try:
        with start(server, max_size=1) as gateway:
            port = gateway.port
            for round_ in range(6):
                for i in range(1, 8):
                    customer(port, (round_ * 7 + i) % 50 + 1)
                big(port)  # the reply outgrows the sockets: the relay's threads finish it
            # a time-out's cancel travels through the relay's threads, then the fast path again
            status, _, body = harness.http_json(port, "GET", "/api/slow?company=RELAY")
            expect_error(status, body, 504, "query_timeout")
            for i in range(1, 20):
                customer(port, i)
            # idle past validate_after: validation runs on a worker, then the fast path
            time.sleep(1.5)
            customer(port, 7)
            big(port)
            customer(port, 8)
    finally:
        server.stop()


def test_concurrent_requests_each_get_their_own_rows():
    server = Server()
    try:
        with start(server, max_size=4) as gateway:
            port = gateway.port
            failures = []

            def client(n):
                try:
                    for k in range(60):
                        if k % 20 == 19:
                            big(port)
                        else:
                            customer(port, (n * 13 + k) % 50 + 1)
                except AssertionError as e:  # expect() raises AssertionError
                    failures.append(str(e))

            threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            expect(not failures, failures[:3])
    finally:
        server.stop()


def test_a_dropped_server_connection_is_noticed_and_replaced_and_nothing_leaks():
    server = Server()
    try:
        with start(server, max_size=2) as gateway:
            port = gateway.port
            for i in range(1, 30):
                customer(port, i)
            baseline = open_descriptors(gateway.proc.pid)
            # tdsd kills the connection on every query: each failure is seen, in either mode
            expect(server.tdsd.control("drop_percent RelayDB 100") == "ok", "tdsd drop_percent")
            for i in range(1, 12):
                status, _, body = harness.http_json(port, "GET", f"/api/customers/{i}?company=RELAY")
                expect(status in (502, 503, 504), (status, body))
                status, _, body = harness.http_json(port, "GET", "/api/big?company=RELAY", timeout=30)
                expect(status in (502, 503, 504), (status, str(body)[:200]))
            expect(server.tdsd.control("drop_percent RelayDB 0") == "ok", "tdsd drop_percent")
            # served again once the breaker lets it through
            support.wait_for(lambda: harness.http_json(port, "GET", "/api/customers/3?company=RELAY")[0] == 200,
                             15, "RELAY served again")
            for i in range(1, 30):
                customer(port, i)
            big(port)
            # the broken sessions' sockets (relay, loopback, FreeTDS) were all closed
            support.wait_for(lambda: open_descriptors(gateway.proc.pid) <= baseline + 2, 10,
                             f"descriptors back near {baseline}")
    finally:
        server.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
