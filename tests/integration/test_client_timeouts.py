"""Clients that are too slow, or leave halfway, are told apart from other I/O errors:
a request header cut off by header_timeout, a body that stops coming (read_timeout)
and an answer the client stops reading (write_timeout) are each counted on /metrics
(tenant_gateway_client_timeouts_total{phase}), and every request whose header arrived
is in the access log however it ended: 408 when its client was too slow, 499 when it
went away (nginx's codes), on gateway routes and proxied ones alike."""

import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, http_request  # noqa: E402

node = proxy_support.start_node_upstream("timeouts")
UPSTREAMS = f"""
  - name: app
    servers: [http://127.0.0.1:{node.port}]
"""
ROUTES = """
  - {methods: [GET, POST], path: /app/*, kind: proxy, upstream: app, strip_prefix: /app, tenant_required: false}
  - {methods: [POST], path: /api/echo, kind: echo, tenant_required: false}
"""
LIMITS = "  header_timeout: 1s\n  idle_timeout: 5s"
config = proxy_support.gateway_config(UPSTREAMS, ROUTES).replace(
    "  read_timeout: 10s\n  write_timeout: 10s\n", "  read_timeout: 1s\n  write_timeout: 1s\n" + LIMITS + "\n")
expect("write_timeout: 1s" in config, "the limits were not placed")
gw = harness.start_gateway(config, env=proxy_support.GATEWAY_ENV)


def timeouts():
    """tenant_gateway_client_timeouts_total by phase."""
    status, _, body = http_request(gw.port, "GET", "/metrics")
    expect(status == 200, f"/metrics: {status}")
    found = re.findall(r'^tenant_gateway_client_timeouts_total\{phase="(\w+)"\} (\d+)$', body.decode(), re.M)
    return {phase: int(count) for phase, count in found}


def access_line(status, method, path, start):
    """The access line of a request that ended with `status`, logged after `start`."""
    line = gw.wait_for_line(rf'"msg":"access".*"method":"{method}","path":"{re.escape(path)}","status":{status}',
                            timeout=5, start=start)
    expect(line is not None, f"no access line {status} {method} {path}")
    return json.loads(line.string)


def closed_within(sock, seconds):
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_header_cut_off_is_408_and_counted():
    before, mark = timeouts(), len(gw.output())
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(b"GET /app/never HTTP/1.1\r\nHost: x\r\n")
        expect(closed_within(s, 4), "a header left unfinished was not cut off")
    entry = access_line(408, "", "", mark)
    expect(entry["client"] == "127.0.0.1" and entry["bytes"] == 0, entry)
    expect(timeouts()["header"] == before["header"] + 1, (before, timeouts()))


def test_idle_connection_is_not_a_timeout():
    # A connection that never starts a request is closed at header_timeout, uncounted.
    before = timeouts()
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        expect(closed_within(s, 4), "an idle connection was not closed")
    expect(timeouts() == before, (before, timeouts()))


def stalled_body(path):
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".encode() + b"x" * 10)
        return closed_within(s, 5)


def cut_body(path):
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".encode() + b"x" * 10)
        time.sleep(0.2)


def test_stalled_body_is_408_cut_body_is_499():
    for path in ("/api/echo", "/app/upload"):
        before, mark = timeouts(), len(gw.output())
        expect(stalled_body(path), f"{path}: a stalled body was not cut off")
        access_line(408, "POST", path, mark)
        expect(timeouts()["body"] == before["body"] + 1, (path, before, timeouts()))
        mark = len(gw.output())
        cut_body(path)
        access_line(499, "POST", path, mark)
        expect(timeouts()["body"] == before["body"] + 1, f"{path}: a client that left counted as slow")


def test_answer_not_read_is_a_write_timeout():
    # 32 MB, far more than the socket buffers hold: the client reads nothing, so the
    # gateway's write waits past write_timeout and the connection is closed.
    total = 32 * 1024 * 1024
    before, mark = timeouts(), len(gw.output())
    with socket.create_connection(("127.0.0.1", gw.port)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(f"GET /app/download?bytes={total} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        deadline = time.monotonic() + 10
        while timeouts()["write"] == before["write"] and time.monotonic() < deadline:
            time.sleep(0.2)
    expect(timeouts()["write"] == before["write"] + 1, (before, timeouts()))
    entry = access_line(200, "GET", "/app/download", mark)
    expect(entry["bytes"] < total, entry)


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    node.stop()
