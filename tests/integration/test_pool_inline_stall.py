"""A tenant database whose replies lie about their end must not hold the event loop, on
which db-lib reads a reply that looks whole, with every other tenant's requests behind
it. Two lies, from tdsd's faults: a message framed whole whose tokens stop short
(cut_reply) is not taken for whole (no final DONE) and is read on a worker; one that
also ends in a final DONE while a row still waits for its data (fake_done) is read on
the loop, and the watchdog cuts the connection within a fraction of a second; that
tenant's replies then go to the workers for a pause (a minute after a first cut;
tests/unit/pool_inline_backoff.cpp covers its growth). Meanwhile the other tenant, on the same single
event loop, keeps being answered quickly."""

import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import monitoring_support as ms  # noqa: E402
from harness import expect, http_json, metric_value, scrape_metrics  # noqa: E402

tdsd = ms.start_tdsd("127.0.0.1", ["LyingDB", "GoodDB"])

LONG = "x" * 2000  # 4,000 bytes of UTF-16 in one cell: a reply well under 64 KiB

CONFIG = f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 1}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{encrypt: false, max_size: 4, acquire_timeout: 5s, query_timeout: 3s}}
metrics: {{access: loopback}}
routes:
  - {{methods: [GET], path: /api/one, kind: sql, sql: "SELECT Name FROM Customers WHERE Id = 1", result: one}}
  - {{methods: [GET], path: /api/long, kind: sql, sql: "SELECT '{LONG}' AS Body", result: one}}
tenants:
  - {{code: LYING, server: 127.0.0.1, port: {tdsd.port}, database: LyingDB}}
  - {{code: GOOD, server: 127.0.0.1, port: {tdsd.port}, database: GoodDB}}
"""


def ask(gateway, company, path="/api/long"):
    started = time.monotonic()
    status, _, body = http_json(gateway.port, "GET", f"{path}?company={company}", timeout=20)
    return status, body, time.monotonic() - started


def good_latencies(gateway, seconds):
    """GOOD's request times while LYING's requests run, one request at a time."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, _, took = ask(gateway, "GOOD", "/api/one")
        expect(status == 200, f"GOOD answered {status}")
        seen.append(took)
        time.sleep(0.01)
    return seen


def lying_while_good_runs(gateway, fault, requests):
    """Warms both pools, turns `fault` on for LyingDB, sends `requests` LYING requests
    while GOOD is measured; returns LYING's answers and GOOD's worst time."""
    for company in ("LYING", "GOOD"):
        for _ in range(5):  # replies read on the event loop once they are whole
            status, body, _ = ask(gateway, company)
            expect(status == 200 and body == {"Body": LONG}, (company, status))
    expect(tdsd.control(fault) == "ok")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            watcher = pool.submit(good_latencies, gateway, 1.0 + 3.2 * requests)
            time.sleep(0.3)
            lying = [ask(gateway, "LYING") for _ in range(requests)]
            latencies = watcher.result()
    finally:
        expect(tdsd.control("reset") == "ok")
    worst = max(latencies)
    if os.environ.get("TG_TEST_VERBOSE"):
        print(f"{fault}: LYING {[(s, b['error']['code'], round(t, 2)) for s, b, t in lying]}; "
              f"GOOD: {len(latencies)} requests, worst {worst * 1000:.0f} ms")
    expect(worst < 0.7, f"GOOD waited {worst:.2f}s behind LYING's reply (of {len(latencies)} requests)")
    expect(len(latencies) >= 20, f"only {len(latencies)} GOOD requests")
    return lying


def test_tokens_that_stop_short_are_read_on_a_worker():
    with ms.start_gateway(CONFIG) as gateway:
        lying = lying_while_good_runs(gateway, "cut_reply LyingDB 9", 1)
        status, body, took = lying[0]
        # not taken for whole: waited out on a worker, up to the query's time-out
        expect(status == 504 and body["error"]["code"] == "query_timeout", (status, body))
        expect(took >= 2.5, f"answered after {took:.2f}s")
        status, body, _ = ask(gateway, "LYING")
        expect(status == 200 and body == {"Body": LONG}, ("LYING after the fault", status))
        cut = metric_value(scrape_metrics(gateway.port), "tenant_gateway_pool_inline_reads_cut_total")
        expect(cut == 0, f"{cut} reads cut: none was read on the event loop")


def test_a_fake_final_done_is_cut_by_the_watchdog():
    with ms.start_gateway(CONFIG) as gateway:
        # the row's last 1,000 bytes are replaced by a final DONE: db-lib reads those 13
        # bytes as the cell's and waits for the rest
        lying = lying_while_good_runs(gateway, "fake_done LyingDB 1000", 2)
        status, body, took = lying[0]
        expect(status == 502 and body["error"]["code"] == "connection_lost", (status, body))
        expect(took < 1.5, f"the first lying reply took {took:.2f}s")
        # for the pause that cut started, this tenant's replies are read on the workers:
        # the next lie waits there for its time-out, still without holding GOOD up
        status, body, took = lying[1]
        expect(status == 504 and body["error"]["code"] == "query_timeout", (status, body))
        expect(took >= 2.5, f"answered after {took:.2f}s")
        expect(gateway.wait_for_line(r"tenant LYING: a reply that looked whole.*for the next 60 s", timeout=5),
               "the warning was not logged")
        cut = metric_value(scrape_metrics(gateway.port), "tenant_gateway_pool_inline_reads_cut_total")
        expect(cut == 1, f"{cut} reads cut, one expected")
        status, body, _ = ask(gateway, "LYING")
        expect(status == 200 and body == {"Body": LONG}, ("LYING after the fault", status))



def test_a_rebuilt_pool_keeps_the_tenants_pause():
    """The pause belongs to the tenant, not to its pool: a pool closed for going unused
    and built again must not give the lying database the event loop again at once."""
    config = CONFIG.replace("query_timeout: 3s}", "query_timeout: 3s, unused_pool_timeout: 2s}")
    with ms.start_gateway(config) as gateway:
        status, body, _ = lying_while_good_runs(gateway, "fake_done LyingDB 1000", 1)[0]
        expect(status == 502 and body["error"]["code"] == "connection_lost", (status, body))
        # GOOD keeps its pool busy; LYING's, unused for 2 s, is closed
        expect(gateway.wait_for_line(r"tenant LYING: pool draining \(unused\)", timeout=10),
               "LYING's pool was not closed")
        status, body, took = lying_while_good_runs(gateway, "fake_done LyingDB 1000", 1)[0]
        # the new pool reads on the workers: the lie waits out its time-out there
        expect(status == 504 and body["error"]["code"] == "query_timeout", (status, body))
        expect(took >= 2.5, f"answered after {took:.2f}s")
        cut = metric_value(scrape_metrics(gateway.port), "tenant_gateway_pool_inline_reads_cut_total")
        expect(cut == 1, f"{cut} reads cut, one expected")


try:
    harness.run_tests(dict(globals()))
finally:
    tdsd.stop()
