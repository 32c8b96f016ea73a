"""A tenant database whose reply is framed whole while its tokens end early (tdsd's
cut_reply fault) must not hold the event loop: db-lib reads such a reply on the loop
(the framing says nothing is missing) and would wait there for the query's time-out
with every other tenant's requests behind it. The watchdog cuts the connection within
a fraction of a second, the tenant's replies go to the workers from then on, and the
other tenant on the same single event loop keeps being answered quickly throughout."""

import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import monitoring_support as ms  # noqa: E402
from harness import expect, http_json  # noqa: E402

tdsd = ms.start_tdsd("127.0.0.1", ["CutDB", "GoodDB"])

CONFIG = f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 1}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{encrypt: false, max_size: 4, acquire_timeout: 5s, query_timeout: 3s}}
routes:
  - {{methods: [GET], path: /api/one, kind: sql, sql: "SELECT Name FROM Customers WHERE Id = 1", result: one}}
tenants:
  - {{code: CUT, server: 127.0.0.1, port: {tdsd.port}, database: CutDB}}
  - {{code: GOOD, server: 127.0.0.1, port: {tdsd.port}, database: GoodDB}}
"""


def ask(gateway, company):
    started = time.monotonic()
    status, _, body = http_json(gateway.port, "GET", f"/api/one?company={company}", timeout=20)
    return status, body, time.monotonic() - started


def good_latencies(gateway, stop_after):
    """GOOD's request times while the CUT requests run, one request at a time."""
    seen = []
    deadline = time.monotonic() + stop_after
    while time.monotonic() < deadline:
        status, _, took = ask(gateway, "GOOD")
        expect(status == 200, f"GOOD answered {status}")
        seen.append(took)
        time.sleep(0.01)
    return seen


def test_a_cut_reply_does_not_hold_the_event_loop():
    with ms.start_gateway(CONFIG) as gateway:
        # warm both pools: replies read on the event loop once they are whole
        for company in ("CUT", "GOOD"):
            for _ in range(5):
                status, body, _ = ask(gateway, company)
                expect(status == 200 and body == {"Name": "First"}, (company, status, body))
        expect(tdsd.control("cut_reply CutDB 9") == "ok")
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            watcher = pool.submit(good_latencies, gateway, 4.0)
            time.sleep(0.3)
            cut = [ask(gateway, "CUT") for _ in range(2)]
            latencies = watcher.result()
        worst = max(latencies)
        expect(worst < 1.0, f"GOOD waited {worst:.2f}s behind CUT's reply (of {len(latencies)} requests)")
        expect(len(latencies) >= 20, f"only {len(latencies)} GOOD requests in 4 s")
        # the first cut reply was read on the loop and cut by the watchdog; the next one
        # goes to the workers and waits out its time-out there (3 s, the query_timeout)
        for status, body, took in cut:
            expect(status in (502, 504), f"the cut reply answered {status} {body}")
        expect(cut[0][2] < 2.0, f"the first cut reply took {cut[0][2]:.2f}s")
        expect(cut[0][1]["error"]["code"] == "connection_lost", cut[0][1])
        if os.environ.get("TG_TEST_VERBOSE"):
            print(f"cut replies: {[(s, b['error']['code'], round(t, 2)) for s, b, t in cut]}; "
                  f"GOOD: {len(latencies)} requests, worst {worst * 1000:.0f} ms")
        expect(tdsd.control("reset") == "ok")
        status, body, _ = ask(gateway, "CUT")
        expect(status == 200 and body == {"Name": "First"}, ("CUT after the fault", status, body))


try:
    harness.run_tests(dict(globals()))
finally:
    tdsd.stop()
