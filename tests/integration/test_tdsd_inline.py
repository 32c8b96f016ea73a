"""tdsd runs small cached read-only requests on the socket thread (tests/tdsd/inline_policy.hpp):
they are counted as inline, a long read is cut off at the budget and finished on a worker
with the same answer while other clients stay served, writes and WAITFOR never run
inline, and ATTENTION still stops a long read."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness as th  # noqa: E402
from harness import expect  # noqa: E402

# A read-only statement that runs far longer than the inline budget (about 0.5-2 s).
LONG_READ = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < %s) "
             "select count(*), sum(i) from n")
LONG_ROWS = 2_000_000


def delta(before, after, key):
    return after[key] - before[key]


def test_cached_reads_run_inline_and_writes_do_not():
    with th.Tdsd() as tdsd, tdsd.connect() as conn:
        cur = conn.cursor()
        cur.execute("select Name from Customers where Id = %s", (1,))  # prepared on a worker
        first = cur.fetchall()
        before = tdsd.stats()
        for _ in range(20):
            cur.execute("select Name from Customers where Id = %s", (1,))
            expect(cur.fetchall() == first, "the same answer inline")
        after = tdsd.stats()
        expect(delta(before, after, "inline_queries") >= 20 and delta(before, after, "inline_fallbacks") == 0,
               f"{before} -> {after}")
        # writes (cached or not) and transaction control go to a worker
        for i in range(3):
            cur.execute("insert into Orders (Id, CustomerId, Amount) values (%s, 1, 1)", (900 + i,))
        cur.execute("WAITFOR DELAY '00:00:00.010'")
        cur.execute("WAITFOR DELAY '00:00:00.010'")
        later = tdsd.stats()
        expect(delta(after, later, "inline_queries") == 0, f"writes and sleeps ran inline: {after} -> {later}")
        cur.execute("select count(*) from Orders where Id >= 900")
        expect(cur.fetchone()[0] == 3)


def test_long_read_moves_to_a_worker_and_others_are_served():
    with th.Tdsd() as tdsd, tdsd.connect(timeout=60) as conn:
        cur = conn.cursor()
        cur.execute(LONG_READ % LONG_ROWS)  # prepared (and run) on a worker
        want = cur.fetchone()
        expect(want == (LONG_ROWS, LONG_ROWS * (LONG_ROWS + 1) // 2), f"{want}")
        before = tdsd.stats()
        latencies = []
        done = threading.Event()

        def other_client():
            with tdsd.connect() as other:
                c = other.cursor()
                while not done.is_set():
                    t0 = time.monotonic()
                    c.execute("select 1")
                    c.fetchall()
                    latencies.append(time.monotonic() - t0)
                    time.sleep(0.005)

        t = threading.Thread(target=other_client)
        t.start()
        time.sleep(0.2)
        started = time.monotonic()
        cur.execute(LONG_READ % LONG_ROWS)  # cached now: tried inline, cut off at the budget
        got = cur.fetchone()
        took = time.monotonic() - started
        done.set()
        t.join(30)
        after = tdsd.stats()
        expect(got == want, f"the same answer from the worker: {got}")
        expect(delta(before, after, "inline_fallbacks") == 1, f"{before} -> {after}")
        worst = max(latencies)
        print(f"long read {took:.2f}s; another client's worst latency meanwhile {worst * 1000:.1f} ms "
              f"over {len(latencies)} queries", flush=True)
        expect(len(latencies) >= 5 and worst < 0.25, f"the other client waited {worst:.3f}s")


def test_attention_stops_a_long_read():
    with th.Tdsd() as tdsd:
        raw = th.RawTds(tdsd.port, timeout=60)
        raw.login()
        long_read = LONG_READ % (LONG_ROWS * 20)
        # the first run prepares it on a worker (and keeps it), the second tries it inline,
        # is cut off at the budget and goes on on a worker: ATTENTION stops both
        for run in ("first", "cached"):
            before = tdsd.stats()
            raw.batch(long_read)
            time.sleep(0.3)
            started = time.monotonic()
            raw.attention()
            first, _ = raw.read_message()
            second, _ = raw.read_message()
            expect(th.last_done_status(second) & 0x20, f"{run} run: DONE(ATTN): {second!r}")
            expect(time.monotonic() - started < 5, f"{run} run: the long read was interrupted")
            after = tdsd.stats()
            want = 1 if run == "cached" else 0
            expect(delta(before, after, "inline_fallbacks") == want, f"{run} run: {before} -> {after}")
        raw.batch("select 11")
        msg, _ = raw.read_message()
        expect(th.last_done_status(msg) & 0x22 == 0, "usable after cancel")
        raw.close()


if __name__ == "__main__":
    harness.run_tests(dict(globals()))
