"""Timeouts bound waiting, not the time spent on the other side: a connection's deadline
is set for each read or write and cleared when it ends. An upstream that answers after
the client's header_timeout, and a client that stops reading a download for longer than
the upstream's read_timeout, are both served whole; a client that sends nothing is still
cut at header_timeout and an upstream that says nothing at read_timeout."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error, http_json  # noqa: E402

node = proxy_support.start_node_upstream("deadlines")
UPSTREAMS = f"""
  - name: app
    servers: [http://127.0.0.1:{node.port}]
    read_timeout: 2500ms
    total_timeout: 10s
"""
ROUTES = """
  - {methods: [GET], path: /app/*, kind: proxy, upstream: app, strip_prefix: /app, tenant_required: false}
"""
# Client-side timeouts shorter than the upstream's read_timeout, and the other way round.
LIMITS = """  header_timeout: 1s
  idle_timeout: 5s"""
config = proxy_support.gateway_config(UPSTREAMS, ROUTES).replace(
    "  read_timeout: 10s\n  write_timeout: 10s\n", "  read_timeout: 10s\n  write_timeout: 10s\n" + LIMITS + "\n")
expect("header_timeout: 1s" in config, "the limits were not placed")
gw = harness.start_gateway(config, env=proxy_support.GATEWAY_ENV)


def test_slow_upstream_outlasts_header_timeout():
    # The upstream answers after 1.8 s, past the client's 1 s header_timeout: the
    # header's deadline must not close the client connection meanwhile, and the
    # connection stays usable for the next request.
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as s:
        s.sendall(b"GET /app/slow?ms=1800 HTTP/1.1\r\nHost: x\r\n\r\n")
        status, body = proxy_support.read_response(s)
        expect(status == 200 and b'"slow":true' in body, (status, body))
        s.sendall(b"GET /app/slow?ms=10 HTTP/1.1\r\nHost: x\r\n\r\n")
        status, body = proxy_support.read_response(s)
        expect(status == 200, (status, body))


def test_stalled_reader_gets_the_whole_download():
    # 8 MB, more than the socket buffers hold: the gateway's writes to the client wait
    # while it does not read (3 s, past the upstream's 2.5 s read_timeout, within the
    # client's 10 s write_timeout). The upstream's deadline must not run meanwhile.
    total = 8 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", gw.port), timeout=15) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(f"GET /app/download?bytes={total} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(3)
        status, body = proxy_support.read_response(s)
        expect(status == 200, status)
        expect(len(body) == total, f"{len(body)} of {total} bytes")
        # Every byte in its place: what the socket took at once and what followed as the
        # client read (proxy_upstream.js repeats one 64 KiB block).
        pattern = b"abcdefghijklmnopqrstuvwxyz0123456789"
        block = (pattern * (64 * 1024 // len(pattern) + 1))[:64 * 1024]
        expected = (block * (total // len(block) + 1))[:total]
        first_wrong = next((i for i in range(0, total, 4096) if body[i:i + 4096] != expected[i:i + 4096]), None)
        expect(first_wrong is None, f"the body differs from the upstream's near byte {first_wrong}")


def test_silent_client_still_cut_at_header_timeout():
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as s:
        s.sendall(b"GET /app/slow HTTP/1.1\r\n")  # never finishes its header
        started = time.monotonic()
        while s.recv(4096):
            pass
        elapsed = time.monotonic() - started
        expect(0.8 <= elapsed <= 3.0, f"closed after {elapsed:.2f}s, header_timeout is 1s")


def test_silent_upstream_still_504_at_read_timeout():
    # Parked connections first: a time-out on one of them is the server's, as on a new
    # connection, so the only server counts as tried and the 504 comes after one
    # read_timeout (each parked connection cost one more before, up to total_timeout).
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        warm = list(pool.map(lambda _: http_json(gw.port, "GET", "/app/slow?ms=300")[0], range(3)))
    expect(warm == [200] * 3, warm)
    started = time.monotonic()
    status, _, body = http_json(gw.port, "GET", "/app/slow?ms=8000")
    elapsed = time.monotonic() - started
    expect_error(status, body, 504, "upstream_timeout")
    expect(2.3 <= elapsed <= 4.0, f"answered after {elapsed:.2f}s: one try of read_timeout 2.5s")


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    node.stop()
