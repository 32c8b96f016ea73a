"""No result can take the process's memory: max_rows stops the fetch (the rest of the
reply is cancelled), max_response_bytes and max_cell_bytes answer 502 result_too_large
with the pooled connection left usable, and the process-wide response budget answers
503 response_budget_exhausted. The peak RSS of 8 concurrent maximal results, some read
slowly, stays under a bound derived from the budget. A 50 MB cell never reaches the
gateway's memory: the database cuts it at the connection's TEXTSIZE (twice the largest
cell cap plus 4), and the cut value is refused like any value over its cap.

The tenant's pool has one connection, so "the next request works and tdsd saw no new
login" proves the connection that was cancelled is the one that served it."""

import concurrent.futures
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_error, http_json, http_request  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

MIB = 1024 * 1024
ROW_TEXT = 200_000        # bytes of text per row of Big
BIG_ROWS = 600
MANY_ROWS = 262_144
BUDGET = 64 * MIB         # limits.max_inflight_response_bytes
MAX_RESPONSE = 16 * MIB   # limits.max_response_bytes
MAX_CELL = 1 * MIB        # limits.max_cell_bytes
MAXIMAL_ROWS = 60         # /api/big: 60 rows of 200 kB, about 12 MB of JSON
HUGE_CELL = 50_000_000    # /api/cell: one value of 50 MB

SCHEMA = f"""
CREATE TABLE Big (Id INT PRIMARY KEY, Body NVARCHAR(MAX))
GO
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BIG_ROWS}) INSERT INTO Big (Id, Body) SELECT i, printf('%.*c', {ROW_TEXT}, 'x') FROM n
GO
CREATE TABLE Many (Id INT PRIMARY KEY)
GO
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MANY_ROWS}) INSERT INTO Many (Id) SELECT i FROM n
GO
"""

DB_PASSWORD = "results-pw"
tdsd = tdsd_harness.Tdsd(f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: app, password: "${{TDSD_TEST_PASSWORD}}", databases: ["*"]}}
databases:
  - {{name: BigDB, file: ":memory:", init: [{harness.write_temp(SCHEMA, suffix=".sql")}]}}
""", env={"TDSD_TEST_PASSWORD": DB_PASSWORD})


def config(pool_size=1, wide_cell_route=True, max_cell=MAX_CELL):
    # /api/cell-allowed raises the largest cell cap to 16 MiB, and with it the text size.
    wide_cell = f"""
  - {{methods: [GET], path: /api/cell-allowed, kind: sql, max_cell_bytes: {MAX_RESPONSE},
      sql: "SELECT 1 AS Id, printf('%.*c', 2000000, 'y') AS Body"}}""" if wide_cell_route else ""
    return f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 2}}
limits:
  write_timeout: 30s
  max_response_bytes: {MAX_RESPONSE}
  max_cell_bytes: {max_cell}
  max_inflight_response_bytes: {BUDGET}
registry:
  source: yaml
  default_user: app
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{encrypt: false, max_size: {pool_size}, acquire_timeout: 20s, query_timeout: 20s}}
metrics: {{enabled: true}}
routes:
  - {{methods: [GET], path: /api/big, kind: sql, max_rows: {MAXIMAL_ROWS},
      sql: "SELECT Id, Body FROM Big WHERE Id <= {MAXIMAL_ROWS} ORDER BY Id"}}
  - {{methods: [GET], path: /api/all, kind: sql, max_rows: 500,
      sql: "SELECT Id, Body FROM Big ORDER BY Id"}}
  - {{methods: [GET], path: /api/all-wide, kind: sql, max_rows: 500, max_response_bytes: {BUDGET},
      sql: "SELECT Id, Body FROM Big WHERE Id <= 100 ORDER BY Id"}}
  - {{methods: [GET], path: /api/many, kind: sql, max_rows: 10, sql: "SELECT Id FROM Many ORDER BY Id"}}
  - {{methods: [GET], path: /api/cell, kind: sql,
      sql: "SELECT 1 AS Id, printf('%.*c', {HUGE_CELL}, 'y') AS Body"}}
  - {{methods: [GET], path: /api/cell-at-cap, kind: sql,
      sql: "SELECT 1 AS Id, printf('%.*c', {MAX_CELL}, 'y') AS Body"}}
  - {{methods: [GET], path: /api/cell-over-cap, kind: sql,
      sql: "SELECT 1 AS Id, printf('%.*c', {MAX_CELL + 1}, 'y') AS Body"}}
  - {{methods: [GET], path: /api/cell-1500k, kind: sql,
      sql: "SELECT 1 AS Id, printf('%.*c', 1500000, 'y') AS Body"}}{wide_cell}
  - {{methods: [GET], path: /api/small, kind: sql, result: one, sql: "SELECT Id FROM Big WHERE Id = 7"}}
tenants:
  - {{code: BIG, server: 127.0.0.1, port: {tdsd.port}, database: BigDB}}
"""


def start_gateway(pool_size=1, wide_cell_route=True):
    return harness.start_gateway(config(pool_size, wide_cell_route), env={"TG_TEST_DB_PASSWORD": DB_PASSWORD})


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        match = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
    return int(match.group(1))


def metric(gateway, name):
    return harness.metric_value(harness.scrape_metrics(gateway.port), name) or 0


def small_request_works(gateway):
    status, _, body = http_json(gateway.port, "GET", "/api/small?company=BIG", timeout=30)
    expect(status == 200 and body == {"Id": 7}, f"{status} {body}")


def fetch(port, path, read_delay=0.0, timeout=60):
    """GET on a raw socket with a small receive buffer; waits `read_delay` seconds before
    reading (a slow client). Returns (status, body length, elapsed seconds)."""
    status, body, elapsed = fetch_body(port, path, read_delay, timeout)
    return status, len(body), elapsed


def fetch_body(port, path, read_delay=0.0, timeout=60):
    """Like fetch, returning the body itself instead of its length."""
    started = time.monotonic()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        first = sock.recv(64)
        time.sleep(read_delay)
        chunks = [first]
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    return status, body, time.monotonic() - started


def test_an_answer_larger_than_the_socket_takes_at_once_arrives_whole_and_in_order():
    # The gateway sends what the socket takes at once and writes the rest as the client
    # reads: a client that reads nothing for a second, through a 64 kB receive buffer,
    # must still get every byte in order. 12 MB is more than loopback's largest send
    # buffer (4 MB), so the first write cannot take it all.
    with start_gateway() as gateway:
        small_request_works(gateway)
        for delay in (0.0, 1.0):
            status, body, _ = fetch_body(gateway.port, "/api/big?company=BIG", read_delay=delay)
            expect(status == 200, f"{status} {body[:200]!r}")
            rows = json.loads(body)
            expect([row["Id"] for row in rows] == list(range(1, MAXIMAL_ROWS + 1)),
                   f"read after {delay}s: ids {[row['Id'] for row in rows][:5]}...")
            expect(all(row["Body"] == "x" * ROW_TEXT for row in rows), f"read after {delay}s: a body differs")
        small_request_works(gateway)


def test_peak_rss_of_eight_concurrent_maximal_results_stays_under_the_budget_bound():
    with start_gateway(pool_size=8) as gateway:
        pid = gateway.proc.pid
        small_request_works(gateway)  # pool, registry and allocator warmed up
        status, length, _ = fetch(gateway.port, "/api/big?company=BIG")
        expect(status == 200 and length > MAXIMAL_ROWS * ROW_TEXT, f"{status} {length}")
        baseline = memory_kib(pid, "VmRSS")
        # 4 fast readers and 4 that read nothing for 3 s: their bodies stay in flight.
        delays = [0.0, 3.0] * 4
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(fetch, gateway.port, "/api/big?company=BIG", d) for d in delays]
            results = [f.result() for f in futures]
        peak = memory_kib(pid, "VmHWM")
        growth_mib = (peak - baseline) / 1024
        statuses = sorted(r[0] for r in results)
        print(f"8 concurrent ~12 MB results: statuses {statuses}, RSS baseline {baseline // 1024} MiB, "
              f"peak {peak // 1024} MiB, growth {growth_mib:.1f} MiB (budget {BUDGET // MIB} MiB)")
        expect(set(statuses) <= {200, 503}, statuses)
        expect(statuses.count(200) >= 4, f"the budget holds at least 4 bodies of ~12 MB: {statuses}")
        # Bodies in flight are capped by the budget; on top come the rows being read
        # (db-lib's copy and the converted value, 200 kB each per request), the
        # reservation of a body's last step and allocator rounding: 1.25 x budget.
        bound_mib = 1.25 * BUDGET / MIB
        if os.environ.get("TG_SANITIZED"):
            # the sanitizers' own allocator keeps freed memory in quarantine: the bound
            # holds (and is checked) in the plain build of scripts/test
            print("  peak RSS not bounded under sanitizers")
        else:
            expect(growth_mib <= bound_mib, f"peak RSS grew {growth_mib:.1f} MiB, bound {bound_mib:.0f} MiB")
        small_request_works(gateway)


def test_max_rows_reads_at_most_max_rows_plus_one_and_the_connection_stays():
    with start_gateway() as gateway:
        small_request_works(gateway)
        logins = tdsd.stats()["logins"]
        before = metric(gateway, "tenant_gateway_sql_rows_read_total")
        started = time.monotonic()
        status, headers, body = http_json(gateway.port, "GET", "/api/many?company=BIG", timeout=30)
        elapsed = time.monotonic() - started
        read = metric(gateway, "tenant_gateway_sql_rows_read_total") - before
        print(f"{MANY_ROWS} rows behind max_rows 10: {read:.0f} rows read, {elapsed * 1000:.0f} ms")
        expect(status == 200 and [r["Id"] for r in body] == list(range(1, 11)), f"{status} {body}")
        expect(headers.get("x-result-truncated") == "true", headers)
        expect(read == 11, f"{read} rows read for max_rows 10")
        small_request_works(gateway)
        expect(tdsd.stats()["logins"] == logins, "the cancelled connection was replaced")


def test_max_response_bytes_answers_result_too_large_and_the_connection_stays():
    with start_gateway() as gateway:
        small_request_works(gateway)
        logins = tdsd.stats()["logins"]
        pid = gateway.proc.pid
        baseline = memory_kib(pid, "VmRSS")
        status, headers, body = http_json(gateway.port, "GET", "/api/all?company=BIG", timeout=30)
        expect_error(status, body, 502, "result_too_large")
        growth_mib = (memory_kib(pid, "VmHWM") - baseline) / 1024
        print(f"100 MB result behind max_response_bytes 16 MiB: peak RSS growth {growth_mib:.1f} MiB")
        expect(os.environ.get("TG_SANITIZED") or growth_mib < 2 * MAX_RESPONSE / MIB,
               f"grew {growth_mib:.1f} MiB")
        small_request_works(gateway)
        # A route's own max_response_bytes lets more through: 100 rows, about 20 MB.
        status, length, _ = fetch(gateway.port, "/api/all-wide?company=BIG")
        expect(status == 200 and length > 100 * ROW_TEXT, f"{status} {length}")
        small_request_works(gateway)
        expect(tdsd.stats()["logins"] == logins, "the cancelled connection was replaced")
        expect(metric(gateway, "tenant_gateway_result_too_large_total") == 1, "not counted")


def test_max_cell_bytes_answers_result_too_large_and_the_connection_stays():
    with start_gateway() as gateway:
        small_request_works(gateway)
        logins = tdsd.stats()["logins"]
        status, _, body = http_json(gateway.port, "GET", "/api/cell?company=BIG", timeout=60)
        expect_error(status, body, 502, "result_too_large")
        expect("1048576" in body["error"]["message"], body)
        small_request_works(gateway)
        status, _, body = http_json(gateway.port, "GET", "/api/cell-allowed?company=BIG", timeout=30)
        expect(status == 200 and len(body[0]["Body"]) == 2_000_000, status)
        small_request_works(gateway)
        expect(tdsd.stats()["logins"] == logins, "the cancelled connection was replaced")


def test_a_huge_cell_is_cut_by_the_database_so_memory_stays_bounded():
    with start_gateway(pool_size=8, wide_cell_route=False) as gateway:
        pid = gateway.proc.pid
        small_request_works(gateway)
        logins = tdsd.stats()["logins"]
        baseline = memory_kib(pid, "VmRSS")
        status, _, body = http_json(gateway.port, "GET", "/api/cell?company=BIG", timeout=60)
        growth_mib = (memory_kib(pid, "VmHWM") - baseline) / 1024
        print(f"{HUGE_CELL / 1e6:.0f} MB cell behind max_cell_bytes {MAX_CELL // MIB} MiB: "
              f"peak RSS growth {growth_mib:.1f} MiB")
        expect_error(status, body, 502, "result_too_large")
        expect(str(MAX_CELL) in body["error"]["message"], body)
        expect(os.environ.get("TG_SANITIZED") or growth_mib < 16, f"grew {growth_mib:.1f} MiB")
        small_request_works(gateway)
        # A value exactly at the cap is served whole; one byte more is refused.
        status, _, body = http_json(gateway.port, "GET", "/api/cell-at-cap?company=BIG", timeout=30)
        expect(status == 200 and body[0]["Body"] == "y" * MAX_CELL,
               f"{status} {len(body[0]['Body']) if status == 200 else body}")
        status, _, body = http_json(gateway.port, "GET", "/api/cell-over-cap?company=BIG", timeout=30)
        expect_error(status, body, 502, "result_too_large")
        small_request_works(gateway)
        expect(tdsd.stats()["logins"] == logins, "the cancelled connection was replaced")

        baseline = memory_kib(pid, "VmRSS")
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(http_json, gateway.port, "GET", "/api/cell?company=BIG", timeout=120)
                       for _ in range(8)]
            results = [f.result() for f in futures]
        growth_mib = (memory_kib(pid, "VmHWM") - baseline) / 1024
        statuses = [r[0] for r in results]
        print(f"8 concurrent {HUGE_CELL / 1e6:.0f} MB cells: statuses {statuses}, "
              f"peak RSS growth {growth_mib:.1f} MiB")
        expect(statuses == [502] * 8, statuses)
        # Each read holds at most the cut value (2 MiB + 4 of UTF-16) and its UTF-8 copy.
        expect(os.environ.get("TG_SANITIZED") or growth_mib < 64, f"grew {growth_mib:.1f} MiB")
        small_request_works(gateway)


def test_a_reload_that_raises_the_cell_cap_raises_the_connections_text_size():
    with start_gateway(wide_cell_route=False) as gateway:
        small_request_works(gateway)
        logins = tdsd.stats()["logins"]
        status, _, body = http_json(gateway.port, "GET", "/api/cell-1500k?company=BIG", timeout=30)
        expect_error(status, body, 502, "result_too_large")
        with open(gateway.config_path, "w") as f:
            f.write(config(wide_cell_route=False, max_cell=2 * MIB))
        mark = len(gateway.output())
        gateway.signal(signal.SIGHUP)
        expect(gateway.wait_for_line('"msg":"config reloaded"', timeout=10, start=mark), gateway.output()[mark:])
        # Under the old text size (2 MiB + 4) the value would come back cut to 1 MiB + 2
        # characters, within the new cap: it must come back whole.
        status, _, body = http_json(gateway.port, "GET", "/api/cell-1500k?company=BIG", timeout=30)
        expect(status == 200 and len(body[0]["Body"]) == 1_500_000,
               f"{status} {len(body[0]['Body']) if status == 200 else body}")
        expect(tdsd.stats()["logins"] == logins, "the connection was replaced, not re-set")


def test_the_response_budget_answers_503_while_slow_clients_hold_it():
    with start_gateway(pool_size=5) as gateway:
        small_request_works(gateway)
        # Five ~12 MB bodies nobody reads for 10 s hold 57 of the 64 MiB.
        with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
            slow = [pool.submit(fetch, gateway.port, "/api/big?company=BIG", 10.0) for _ in range(5)]
            deadline = time.monotonic() + 8
            held = 0
            while held <= BUDGET - 12 * MIB and time.monotonic() < deadline:
                time.sleep(0.1)
                held = metric(gateway, "tenant_gateway_response_bytes_in_flight")
            status, headers, body = http_json(gateway.port, "GET", "/api/big?company=BIG", timeout=30)
            print(f"slow readers hold {held / MIB:.1f} MiB; another large result: {status}")
            expect(held > BUDGET - 12 * MIB, f"only {held / MIB:.1f} MiB held")
            expect_error(status, body, 503, "response_budget_exhausted")
            expect(headers.get("retry-after") == "1", headers)
            small_request_works(gateway)  # small bodies still fit
            expect([f.result()[0] for f in slow] == [200] * 5, "a slow reader was refused")
        expect(metric(gateway, "tenant_gateway_response_budget_refusals_total") >= 1, "not counted")
        harness.expect(metric(gateway, "tenant_gateway_response_bytes_in_flight") == 0, "bytes left held")
        status, length, _ = fetch(gateway.port, "/api/big?company=BIG")
        expect(status == 200 and length > MAXIMAL_ROWS * ROW_TEXT, f"{status} {length}")


try:
    harness.run_tests(dict(globals()))
finally:
    tdsd.stop()
