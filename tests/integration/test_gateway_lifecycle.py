"""The tenant-gateway process: command line, --check-config, start-up failures, drain on
SIGTERM/SIGINT and configuration reload on SIGHUP."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (build_path, expect, http_json, run_tests, source_path,  # noqa: E402
                     start_gateway, write_temp)
from test_gateway_limits import Conn, request_bytes  # noqa: E402

GATEWAY = build_path("gateway", "tenant-gateway")

CONFIG = """
listen: {address: 127.0.0.1, port: 0, io_threads: 2}
limits:
  header_timeout: 5s
  read_timeout: 5s
  idle_timeout: 10s
  drain_timeout: %(drain)s
routes:
  - methods: [GET, POST]
    path: %(path)s
    kind: echo
    tenant_required: false
"""


def config(path="/api/echo", drain="5s"):
    return CONFIG % {"path": path, "drain": drain}


def run_cli(*args, env=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([GATEWAY, *args], capture_output=True, text=True, timeout=30, env=full_env)


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_version_and_help():
    result = run_cli("--version")
    expect(result.returncode == 0 and re.match(r"tenant-gateway \d+\.\d+", result.stdout),
           result)
    result = run_cli("--help")
    expect(result.returncode == 0 and "--check-config" in result.stdout, result)


def test_bad_command_lines():
    for args in [(), ("--bogus",), ("--config",), ("--config", "a.yaml", "--config", "b.yaml")]:
        result = run_cli(*args)
        expect(result.returncode == 2 and "usage:" in result.stderr, (args, result))


def test_check_config_ok():
    path = write_temp(config())
    for args in [("--check-config", path), ("--check-config", "--config", path),
                 ("--config", path, "--check-config")]:
        result = run_cli(*args)
        expect(result.returncode == 0, (args, result))
        expect(result.stdout.strip() == f"config OK: {path}", result.stdout)


EXAMPLE_SECRETS = ["FIELDSERVICE_DB_PASSWORD", "DCPSP_DB_PASSWORD", "DEMO_DB_PASSWORD", "ACME_DB_PASSWORD",
                   "TECHSTART_DB_PASSWORD", "GLOBALSEC_DB_PASSWORD", "TG_AUTH_SECRET"]


def test_check_config_example_file():
    example = source_path("conf", "gateway.example.yaml")
    result = run_cli("--check-config", example, env={name: "stand-in" for name in EXAMPLE_SECRETS})
    expect(result.returncode == 0, result)
    # every reference must resolve: one unset variable is an error at its place
    result = run_cli("--check-config", example, env={name: "stand-in" for name in EXAMPLE_SECRETS[:-1]})
    expect(result.returncode == 1, result)
    expect(re.match(re.escape(example) + r":\d+:\d+: environment variable TG_AUTH_SECRET is not set",
                    result.stderr), result.stderr)


def test_check_config_refuses_what_it_cannot_apply():
    cases = [
        ("routes:\n  - {path: /x}\n", ":2:5: a route needs kind"),
        ("tenants:\n  - {code: A, server: s, database: d, ca_file: /nonexistent/ca.pem}\n", ":2:48: ca_file"),
        ("auth:\n  secret_ref: env:TG_LIFECYCLE_UNSET_SECRET\n", ":2:15: environment variable"),
        ("auth:\n  secret_ref: file:/nonexistent/tg-key\n", ":2:15: secret file"),
    ]
    for text, where in cases:
        path = write_temp(text)
        for args in [("--check-config", path), ("--config", path)]:
            result = run_cli(*args)
            expect(result.returncode == 1 and result.stderr.startswith(path + where), (args, result.stderr))


def test_check_config_errors():
    bad = write_temp("listen:\n  port: 80\nroutes:\n  - path: /x\n    kind: bogus\n")
    result = run_cli("--check-config", bad)
    expect(result.returncode == 1, result)
    expect(re.match(re.escape(bad) + r":5:\d+: \S", result.stderr), result.stderr)
    unknown = write_temp("listen:\n  colour: blue\n")
    result = run_cli("--check-config", "--config", unknown)
    expect(result.returncode == 1 and result.stderr.startswith(unknown + ":2:"), result.stderr)
    result = run_cli("--check-config", "/nonexistent/gateway.yaml")
    expect(result.returncode == 1 and "/nonexistent/gateway.yaml" in result.stderr, result)


def test_bad_config_at_start():
    bad = write_temp("routes: [\n")
    result = run_cli("--config", bad)
    expect(result.returncode == 1 and "listening on" not in result.stdout, result)
    expect(result.stderr.startswith(bad + ":"), result.stderr)


def test_drain_on_sigterm():
    gw = start_gateway(config())
    idle = Conn(gw.port)
    idle.send(request_bytes())
    expect(idle.read_response()[0] == 200, "warm-up request failed")
    busy = Conn(gw.port)
    busy.send(request_bytes(method="POST", headers=["Content-Length: 10"]) + b"0123")
    time.sleep(1.0)  # the header has arrived; the body is still coming
    gw.signal(signal.SIGTERM)
    expect(gw.wait_for_line('"msg":"draining"', timeout=10), "no draining log line")
    expect(idle.closed_by_peer(5), "idle keep-alive connection not closed by the drain")
    deadline = time.monotonic() + 5
    while not refused(gw.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    expect(refused(gw.port), "still accepting while draining")
    expect(gw.proc.poll() is None, "exited before the in-flight request finished")
    busy.send(b"456789")
    status, headers, body = busy.read_response()
    expect(status == 200 and json.loads(body)["method"] == "POST", body)
    expect(headers.get("connection") == "close", headers)
    answered = time.monotonic()
    busy.close()
    expect(gw.wait(10) == 0, f"exit code {gw.proc.returncode}")
    # The last connection's end wakes the drain: no waiting for drain_timeout (5s).
    expect(time.monotonic() - answered < 3, f"exit {time.monotonic() - answered:.1f}s after the last answer")
    expect(not any('"msg":"drain timeout' in line for line in gw.output()), "drain ran into its timeout")
    expect(refused(gw.port), "connections accepted after exit")
    idle.close()
    gw.stop()


def test_batched_access_lines_are_all_written_by_exit():
    # Access lines are written in batches; a drain must still leave every one on stdout,
    # in order before the "stopped" line.
    gw = start_gateway(config())
    conn = Conn(gw.port)
    for i in range(300):
        conn.send(request_bytes(headers=[f"X-Request-Id: batch-{i}"]))
        expect(conn.read_response()[0] == 200, f"request {i} failed")
    conn.close()
    gw.signal(signal.SIGTERM)
    expect(gw.wait(10) == 0, f"exit code {gw.proc.returncode}")
    gw.wait_for_line('"msg":"stopped"', timeout=5)
    lines = gw.output()
    logged = [i for i, line in enumerate(lines) if '"request_id":"batch-' in line]
    stopped = next(i for i, line in enumerate(lines) if '"msg":"stopped"' in line)
    expect(len(logged) == 300, f"{len(logged)} of 300 access lines written")
    expect(max(logged) < stopped, "access lines written after the stopped line")
    gw.stop()


def test_drain_timeout_ends_stuck_requests():
    gw = start_gateway(config(drain="500ms"))
    stuck = Conn(gw.port)
    stuck.send(request_bytes(method="POST", headers=["Content-Length: 10"]) + b"01")
    time.sleep(0.3)
    gw.signal(signal.SIGINT)
    expect(gw.wait(10) == 0, f"exit code {gw.proc.returncode}")
    expect(gw.wait_for_line('"msg":"drain timeout', timeout=1), "no drain timeout log line")
    stuck.close()
    gw.stop()


def wait_reload(gw, start, pattern):
    return gw.wait_for_line(pattern, timeout=10, start=start)


def test_sighup_reload_good_file():
    gw = start_gateway(config("/api/old"))
    try:
        expect(http_json(gw.port, "GET", "/api/old")[0] == 200, "old route")
        with open(gw.config_path, "w") as f:
            f.write(config("/api/new"))
        mark = len(gw.output())
        gw.signal(signal.SIGHUP)
        expect(wait_reload(gw, mark, '"msg":"config reloaded"'), gw.output()[mark:])
        status, _, body = http_json(gw.port, "GET", "/api/new")
        expect(status == 200 and body["route"] == "/api/new", body)
        status, _, body = http_json(gw.port, "GET", "/api/old")
        expect(status == 404, body)
    finally:
        gw.stop()


def test_sighup_reload_bad_file_keeps_old_config():
    gw = start_gateway(config("/api/old"))
    try:
        with open(gw.config_path, "w") as f:
            f.write(config("/api/new") + "unknown_section: 1\n")
        mark = len(gw.output())
        gw.signal(signal.SIGHUP)
        line = wait_reload(gw, mark, '"msg":"config reload refused".*')
        expect(line, gw.output()[mark:])
        logged = json.loads(line.string)
        expect(logged["level"] == "error", logged)
        expect(re.match(re.escape(gw.config_path) + r":\d+:\d+: ", logged["error"]), logged)
        status, _, body = http_json(gw.port, "GET", "/api/old")
        expect(status == 200, body)
        expect(http_json(gw.port, "GET", "/api/new")[0] == 404, "bad file partly applied")
        expect(gw.proc.poll() is None, "process died on a bad reload")
    finally:
        code = gw.stop()
    expect(code == 0, f"exit code {code}")


def test_sighup_refuses_a_listen_change_whole_then_applies_limits():
    gw = start_gateway(config())
    try:
        big = b"x" * 2000
        status, _, _ = http_json(gw.port, "POST", "/api/echo", body=big)
        expect(status == 200, f"status {status} before the reload")
        limited = config().replace("limits:\n", "limits:\n  max_body_bytes: 1000\n")
        # io_threads needs a restart: the whole file is refused, the limit too
        with open(gw.config_path, "w") as f:
            f.write(limited.replace("io_threads: 2", "io_threads: 1"))
        mark = len(gw.output())
        gw.signal(signal.SIGHUP)
        line = wait_reload(gw, mark, '"msg":"config reload refused".*')
        expect(line, gw.output()[mark:])
        expect("io_threads" in line.string and "restart" in line.string, line.string)
        status, _, _ = http_json(gw.port, "POST", "/api/echo", body=big)
        expect(status == 200, f"status {status}: a refused reload applied its limit")

        with open(gw.config_path, "w") as f:
            f.write(limited)
        mark = len(gw.output())
        gw.signal(signal.SIGHUP)
        expect(wait_reload(gw, mark, '"msg":"config reloaded"'), gw.output()[mark:])
        status, _, body = http_json(gw.port, "POST", "/api/echo", body=big)
        expect(status == 413 and body["error"]["code"] == "body_too_large", (status, body))
    finally:
        gw.stop()


if __name__ == "__main__":
    run_tests(dict(globals()))
