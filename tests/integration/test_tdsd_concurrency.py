"""tdsd under load: 200 concurrent connections run queries while another connection
sits in a slow query; the slow one must not hold anybody up, and nothing is lost."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness as th  # noqa: E402
from harness import expect  # noqa: E402

CLIENTS = 200
QUERIES_EACH = 5
SLOW_SECONDS = 20


def test_200_connections_while_one_query_sleeps():
    with th.Tdsd() as tdsd:
        slow = th.RawTds(tdsd.port, timeout=60)
        slow.login()
        slow.batch(f"WAITFOR DELAY '00:00:{SLOW_SECONDS:02d}'; select 'slow done'")
        slow_started = time.monotonic()
        time.sleep(0.3)

        errors = []
        finished = []
        lock = threading.Lock()
        start = threading.Barrier(CLIENTS)

        def client(n):
            try:
                start.wait(60)
                with tdsd.connect(timeout=60, login_timeout=60) as conn:
                    cur = conn.cursor()
                    for i in range(QUERIES_EACH):
                        cur.execute("select %s + %s, (select count(*) from Customers)", (n, i))
                        row = cur.fetchone()
                        if row != (n + i, 5):
                            raise AssertionError(f"client {n}: {row}")
                    cur.execute("insert into Orders (Id, CustomerId, Amount) values (%s, 1, 1)", (10000 + n,))
                with lock:
                    finished.append(time.monotonic())
            except Exception as e:  # collected and reported below
                with lock:
                    errors.append(f"{n}: {e!r}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        expect(not errors, f"{len(errors)} clients failed, e.g. {errors[:3]}")
        expect(len(finished) == CLIENTS, f"{len(finished)} of {CLIENTS} finished")
        last = max(finished) - slow_started
        print(f"200 clients done after {last:.1f}s; the slow query sleeps {SLOW_SECONDS}s", flush=True)
        expect(last < SLOW_SECONDS - 2, f"the clients waited for the slow query ({last:.1f}s)")

        payload, _ = slow.read_message()
        expect(th.utf16("slow done") in payload, "the slow query completes afterwards")
        expect(time.monotonic() - slow_started >= SLOW_SECONDS - 1)
        slow.close()

        with tdsd.connect() as conn:
            cur = conn.cursor()
            cur.execute("select count(*) from Orders where Id >= 10000")
            expect(cur.fetchone()[0] == CLIENTS, "every insert committed")
        stats = tdsd.stats()
        expect(stats["logins"] >= CLIENTS + 2 and stats["queries"] >= CLIENTS * (QUERIES_EACH + 1), f"{stats}")


if __name__ == "__main__":
    harness.run_tests(dict(globals()))
