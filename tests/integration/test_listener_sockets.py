"""The listening port is the gateway's alone, with one socket per event loop as with
one socket: a second process cannot start on it, and a socket another process of the
same user adds to it (SO_REUSEPORT) is never given a connection. Every connection is
served, by whichever loop the kernel picked."""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, http_request  # noqa: E402

CONFIG = """
listen: {address: 127.0.0.1, port: %d, io_threads: %d}
routes:
  - {methods: [GET], path: /api/echo, kind: echo, tenant_required: false}
"""


def start(port=0, io_threads=2):
    return harness.start_gateway(CONFIG % (port, io_threads))


def intruder(port):
    """A listening socket of this process on `port`, as any process of the same user
    could open one; None when the kernel refuses it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError:
        sock.close()
        return None
    sock.settimeout(0.5)
    return sock


def served(port, count):
    """How many of `count` fresh connections the gateway answered."""
    answered = 0
    for i in range(count):
        status, _, _ = http_request(port, "GET", f"/api/echo?n={i}", timeout=2)
        answered += status == 200
    return answered


def test_a_socket_added_later_gets_no_connection():
    gw = start()
    try:
        expect(served(gw.port, 20) == 20, "not every connection was served")
        joined = intruder(gw.port)
        expect(joined is not None, "the kernel refused a SO_REUSEPORT socket of the same user")
        try:
            expect(served(gw.port, 100) == 100, "connections went to the other process's socket")
            try:
                joined.accept()
                expect(False, "the other process's socket was given a connection")
            except socket.timeout:
                pass
        finally:
            joined.close()
    finally:
        gw.stop()


def test_a_second_gateway_cannot_start_on_the_port():
    for io_threads in (1, 2):
        gw = start(io_threads=io_threads)
        try:
            path = harness.write_temp(CONFIG % (gw.port, 2))
            second = subprocess.run([harness.build_path("gateway", "tenant-gateway"), "--config", path],
                                    capture_output=True, timeout=20)
            out = second.stdout.decode() + second.stderr.decode()
            expect(second.returncode == 1 and "cannot listen" in out, f"io_threads {io_threads}: {second.returncode} {out[-300:]}")
            expect(served(gw.port, 5) == 5, "the first gateway stopped serving")
        finally:
            gw.stop()


def test_one_loop_keeps_the_port_exclusive():
    gw = start(io_threads=1)
    try:
        joined = intruder(gw.port)
        expect(joined is None, "a SO_REUSEPORT socket joined a one-loop gateway's port")
    finally:
        gw.stop()


harness.run_tests(dict(globals()))
