"""tdsd's fault knobs, driven through its control port: latency, refuse_logins, stall,
drop_after_rows, drop_percent, down/up, kill_connections, stats, reset."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness as th  # noqa: E402
from harness import expect  # noqa: E402

import pytds  # noqa: E402

SERVER = None


def server():
    global SERVER
    if SERVER is None:
        SERVER = th.Tdsd()
    return SERVER


def control(cmd):
    reply = server().control(cmd)
    expect(reply == "ok" or reply.startswith("ok "), f"{cmd!r} -> {reply!r}")
    return reply


def timed_query(conn, sql="select 1"):
    cur = conn.cursor()
    started = time.monotonic()
    cur.execute(sql)
    cur.fetchall()
    return time.monotonic() - started


def fails(fn):
    try:
        fn()
    except Exception as e:  # any client-side failure counts: the point is that it failed
        return e
    raise AssertionError("expected a failure")


def test_control_rejects_bad_commands():
    for cmd in ("", "bogus", "latency DB1", "latency NODB 1 1", "latency DB1 x 1", "stall maybe",
                "drop_percent DB1 101", "stats extra"):
        reply = server().control(cmd)
        expect(reply.startswith("error: "), f"{cmd!r} -> {reply!r}")


def test_latency_is_added_per_database():
    with server().connect() as slow, server().connect(user="admin", password="adminpw", database="DB2") as fast:
        base = min(timed_query(slow) for _ in range(3))
        control("latency DB1 1000 100")
        took = timed_query(slow)
        expect(took >= 0.99, f"latency not added: {took:.3f}s (base {base:.3f}s)")
        expect(took < 8, f"latency far too large: {took:.3f}s")
        expect(timed_query(fast) < 0.9, "other databases are not slowed")
        control("latency DB1 0 0")
        expect(timed_query(slow) < 0.9)


def test_latency_does_not_block_other_connections():
    control("latency DB1 6000 0")
    try:
        raw = th.RawTds(server().port)
        raw.login()
        raw.batch("select 1")  # waits 6 s on the server
        time.sleep(0.2)
        with server().connect(user="admin", password="adminpw", database="DB2") as other:
            expect(timed_query(other) < 3, "a slow database must not hold up another")
        payload, _ = raw.read_message()
        expect(th.last_done_status(payload) & 0x02 == 0)
        raw.close()
    finally:
        control("latency DB1 0 0")


def test_refuse_logins():
    control("refuse_logins on")
    try:
        e = fails(lambda: server().connect(disable_connect_retry=True))
        expect(isinstance(e, pytds.Error) and "18456" in repr(e) or "Login failed" in str(e), repr(e))
    finally:
        control("refuse_logins off")
    with server().connect() as conn:
        expect(timed_query(conn) < 5)


def test_stall_makes_a_login_time_out():
    control("stall on")
    try:
        started = time.monotonic()
        fails(lambda: server().connect(login_timeout=2, disable_connect_retry=True))
        expect(time.monotonic() - started >= 1.5, "the login waited for an answer that never came")
    finally:
        control("stall off")
    with server().connect() as conn:
        expect(timed_query(conn) < 5)


def test_drop_after_rows_breaks_a_result_midway():
    control("drop_after_rows DB1 2")
    try:
        with server().connect() as conn:
            cur = conn.cursor()
            cur.execute("select 1")  # one row: below the limit
            expect(cur.fetchall() == [(1,)])

            def big():
                cur.execute("select Id from Customers order by Id")
                cur.fetchall()
            fails(big)
    finally:
        control("drop_after_rows DB1 0")
    expect(server().server.wait_for_line("drop_after_rows fault", 5), "logged")
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select Id from Customers order by Id")
        expect(len(cur.fetchall()) == 5)


def test_drop_percent_100_kills_every_query():
    with server().connect() as conn:
        control("drop_percent DB1 100")
        try:
            fails(lambda: conn.cursor().execute("select 1"))
        finally:
            control("drop_percent DB1 0")
    with server().connect() as conn:
        expect(timed_query(conn) < 5)


def test_down_refuses_connections_and_up_listens_on_the_same_port():
    existing = server().connect()
    control("down")
    try:
        e = fails(lambda: socket.create_connection(("127.0.0.1", server().port), timeout=3).close())
        expect(isinstance(e, ConnectionRefusedError), repr(e))
        fails(lambda: existing.cursor().execute("select 1"))
    finally:
        control("up")
    with server().connect() as conn:
        expect(timed_query(conn) < 5)
    expect(server().control("up") == "ok", "up when already up is harmless")


def test_kill_connections():
    conns = [server().connect() for _ in range(3)]
    for c in conns:
        timed_query(c)
    control("kill_connections")
    for c in conns:
        fails(lambda: c.cursor().execute("select 1"))
    expect(th.wait_until(lambda: server().stats()["connections"] == 0), f"stats {server().stats()}")


def test_stats_count_connections_logins_queries_failures():
    before = server().stats()
    conns = [server().connect() for _ in range(3)]
    for c in conns:
        timed_query(c)
        timed_query(c)
    fails(lambda: server().connect(password="nope", disable_connect_retry=True))
    expect(th.wait_until(lambda: server().stats()["connections"] == before["connections"] + 3))
    now = server().stats()
    expect(now["logins"] - before["logins"] == 3, f"{before} -> {now}")
    expect(now["queries"] - before["queries"] >= 6, f"{before} -> {now}")
    expect(now["failed_logins"] - before["failed_logins"] == 1, f"{before} -> {now}")
    for c in conns:
        c.close()
    expect(th.wait_until(lambda: server().stats()["connections"] == before["connections"]))


def test_reset_turns_every_fault_off():
    control("latency DB1 4000 0")
    control("refuse_logins on")
    control("drop_percent DB1 100")
    control("drop_after_rows DB1 1")
    control("reset")
    with server().connect() as conn:
        cur = conn.cursor()
        started = time.monotonic()
        cur.execute("select Id from Customers")
        expect(len(cur.fetchall()) == 5)
        expect(time.monotonic() - started < 3)


def test_faults_from_the_config_file():
    config = th.default_config() + """faults:
  refuse_logins: false
  stall: false
  databases:
    DB1: {latency: 300ms, jitter: 0, drop_after_rows: 0, drop_percent: 0}
"""
    with th.Tdsd(config) as tdsd:
        with tdsd.connect() as conn:
            took = timed_query(conn)
            expect(took >= 0.29, f"configured latency: {took:.3f}s")


def test_bad_config_is_reported_with_position():
    path = harness.write_temp("listen: {address: 127.0.0.1, port: 0}\ndatabases:\n  - name: X\n    colour: red\n")
    import subprocess
    proc = subprocess.run([harness.build_path("tests", "tdsd", "tdsd"), "--config", path],
                          capture_output=True, text=True, timeout=20)
    expect(proc.returncode == 1, f"exit {proc.returncode}")
    expect(f"{path}:4:5: unknown key 'colour'" in proc.stderr, proc.stderr)
    path = harness.write_temp("logins:\n  - {user: a, password: b, databases: [DB1, Typo]}\ndatabases:\n  - name: DB1\n")
    proc = subprocess.run([harness.build_path("tests", "tdsd", "tdsd"), "--config", path],
                          capture_output=True, text=True, timeout=20)
    expect(proc.returncode == 1 and f"{path}:2:5: login 'a' names unknown database 'Typo'" in proc.stderr,
           proc.stderr)


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        if SERVER:
            SERVER.stop()
