"""Client-controlled limits of the HTTP server: header and body size, malformed requests,
Expect, pipelining, keep-alive, idle and header timeouts, the connection cap."""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import expect, raw_exchange, run_tests, start_gateway  # noqa: E402

CONFIG = """
listen: {address: 127.0.0.1, port: 0, io_threads: 2}
limits:
  max_header_bytes: 4096
  max_body_bytes: 1024
  header_timeout: 1s
  read_timeout: 2s
  write_timeout: 2s
  idle_timeout: 1s
  max_client_connections: %(cap)d
  drain_timeout: 2s
  retry_after: {too_many_connections: 7s}
  max_pipelined_requests: 6
routes:
  - methods: [GET, POST]
    path: /api/echo
    kind: echo
    tenant_required: false
"""

gateway = None


def start(cap=1000):
    return start_gateway(CONFIG % {"cap": cap})


class Conn:
    """A raw client connection that can read several responses from one stream."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.pending += chunk

    def read_response(self):
        """Returns (status, headers lower-cased, body) of the next response."""
        while b"\r\n\r\n" not in self.pending:
            self._fill()
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.pending) < length:
            self._fill()
        body, self.pending = self.pending[:length], self.pending[length:]
        return status, headers, body

    def closed_by_peer(self, within):
        """True when the server closes the connection within `within` seconds."""
        self.sock.settimeout(within)
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def request_bytes(path="/api/echo", method="GET", headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def error_of(raw):
    """Status and error code of a raw response carrying a JSON error."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, json.loads(body)["error"]["code"]


def test_header_too_large():
    raw = raw_exchange(gateway.port, request_bytes(headers=["X-Big: " + "a" * 8000]))
    expect(error_of(raw) == (431, "header_too_large"), raw[:300])
    expect(b"X-Request-Id: " in raw and b"Connection: close" in raw, raw[:300])


def test_body_too_large_by_content_length():
    payload = request_bytes(method="POST", headers=["Content-Length: 5000"])
    raw = raw_exchange(gateway.port, payload + b"x" * 100)
    expect(error_of(raw) == (413, "body_too_large"), raw[:300])


def test_body_too_large_chunked():
    chunk = b"x" * 800
    payload = (request_bytes(method="POST", headers=["Transfer-Encoding: chunked"]) +
               (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    raw = raw_exchange(gateway.port, payload)
    expect(error_of(raw) == (413, "body_too_large"), raw[:300])


def test_body_within_limit():
    conn = Conn(gateway.port)
    conn.send(request_bytes(method="POST", body=b"y" * 1000))
    status, _, body = conn.read_response()
    conn.close()
    expect(status == 200 and json.loads(body)["method"] == "POST", body)


def test_malformed_requests():
    shapes = [
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /api/echo HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"G(T /api/echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/echo HTTP/x.y\r\nHost: x\r\n\r\n",
        b"GET /api/echo HTTP/1.1\r\nNo colon here\r\n\r\n",
        b"GET /api/echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"GET /api/echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        # Valid HTTP, refused by the router: the connection stays usable, so ask to close.
        b"GET http://example.com/api/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /api/../echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]
    for shape in shapes:
        raw = raw_exchange(gateway.port, shape)
        expect(raw, f"no answer to {shape!r}")
        expect(error_of(raw) == (400, "bad_request"), f"{shape!r} -> {raw[:300]!r}")


def test_unsupported_expect():
    raw = raw_exchange(gateway.port, request_bytes(method="POST", headers=["Expect: magic"],
                                                   body=b"abc"))
    expect(error_of(raw) == (417, "expectation_failed"), raw[:300])


def test_expect_100_continue():
    conn = Conn(gateway.port)
    conn.send(request_bytes(method="POST", headers=["Expect: 100-continue",
                                                    "Content-Length: 5"]))
    status, _, _ = conn.read_response()
    expect(status == 100, f"interim status {status}")
    conn.send(b"hello")
    status, _, body = conn.read_response()
    conn.close()
    expect(status == 200, body)


def test_pipelined_requests_answered_in_order():
    conn = Conn(gateway.port)
    ids = [f"pipe-{i}" for i in range(5)]
    conn.send(b"".join(request_bytes(f"/api/echo?n={i}", headers=[f"X-Request-Id: {rid}"])
                       for i, rid in enumerate(ids)))
    for i, rid in enumerate(ids):
        status, headers, body = conn.read_response()
        expect(status == 200 and headers["x-request-id"] == rid, (i, headers))
        expect(json.loads(body)["query"] == {"n": str(i)}, body)
    conn.close()


def read_all_responses(conn):
    """Every response the gateway sends before it closes the connection."""
    responses = []
    while True:
        try:
            responses.append(conn.read_response())
        except (EOFError, ConnectionResetError):
            return responses


def test_pipelining_beyond_the_limit_closes_after_the_limit():
    # 9 requests in one write: 6 (limits.max_pipelined_requests) are answered from the
    # read-ahead, the 6th says it closes, and the connection closes without the others.
    conn = Conn(gateway.port)
    conn.send(b"".join(request_bytes(f"/api/echo?n={i}", headers=[f"X-Request-Id: many-{i}"])
                       for i in range(9)))
    responses = read_all_responses(conn)
    conn.close()
    expect(len(responses) == 6, f"{len(responses)} responses to 9 pipelined requests")
    for i, (status, headers, _) in enumerate(responses):
        expect(status == 200 and headers["x-request-id"] == f"many-{i}", (i, headers))
    expect(responses[-1][1].get("connection", "").lower() == "close", responses[-1][1])
    expect(all(h.get("connection", "").lower() != "close" for _, h, _ in responses[:-1]),
           [h for _, h, _ in responses])


def test_pipelining_up_to_the_limit_keeps_the_connection():
    # Exactly the limit, twice: the count starts again once the gateway has to wait.
    conn = Conn(gateway.port)
    for burst in range(2):
        conn.send(b"".join(request_bytes(f"/api/echo?b={burst}&n={i}") for i in range(6)))
        for i in range(6):
            status, headers, body = conn.read_response()
            expect(status == 200 and json.loads(body)["query"] == {"b": str(burst), "n": str(i)}, body)
            expect(headers.get("connection", "").lower() != "close", (burst, i, headers))
    expect(not conn.closed_by_peer(0.3), "connection closed within the pipelining limit")
    conn.close()


def test_keep_alive_reuse():
    conn = Conn(gateway.port)
    for i in range(3):
        conn.send(request_bytes(f"/api/echo?i={i}"))
        status, headers, body = conn.read_response()
        expect(status == 200 and json.loads(body)["query"] == {"i": str(i)}, body)
        expect(headers.get("connection", "").lower() != "close", headers)
    conn.close()


def test_connection_close_honoured():
    conn = Conn(gateway.port)
    conn.send(request_bytes(headers=["Connection: close"]))
    status, headers, _ = conn.read_response()
    expect(status == 200 and headers.get("connection") == "close", headers)
    expect(conn.closed_by_peer(5), "connection left open after Connection: close")
    conn.close()


def test_idle_timeout_closes():
    conn = Conn(gateway.port)
    conn.send(request_bytes())
    conn.read_response()
    started = time.monotonic()
    expect(conn.closed_by_peer(10), "idle connection not closed")
    waited = time.monotonic() - started
    expect(waited >= 0.5, f"closed after {waited:.2f}s, before idle_timeout")
    conn.close()


def test_slow_header_is_cut_off():
    conn = Conn(gateway.port)
    conn.send(b"GET /api/echo HTTP/1.1\r\nHost: x\r\n")
    conn.sock.settimeout(0.2)
    deadline = time.monotonic() + 10
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            conn.sock.sendall(b"X-Slow: a\r\n")
            closed = conn.sock.recv(65536) == b""
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            closed = True
    conn.close()
    expect(closed, "trickled header not cut off by header_timeout")


def test_connection_cap():
    capped = start(cap=2)
    try:
        held = []
        for _ in range(2):
            conn = Conn(capped.port)
            conn.send(request_bytes())
            expect(conn.read_response()[0] == 200, "request under the cap failed")
            held.append(conn)
        raw = raw_exchange(capped.port, request_bytes())
        expect(error_of(raw) == (503, "too_many_connections"), raw[:300])
        expect(b"Retry-After: 7" in raw, raw[:300])  # limits.retry_after, not the default
        logged = capped.wait_for_line('"msg":"connections refused: too many open connections"', 5)
        expect(logged is not None, "refusal not logged")
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:
            raw = raw_exchange(capped.port, request_bytes(headers=["Connection: close"]))
            if raw.startswith(b"HTTP/1.1 200 ") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        expect(raw.startswith(b"HTTP/1.1 200 "), f"slot not freed: {raw[:200]!r}")
        for conn in held:
            conn.close()
    finally:
        capped.stop()


if __name__ == "__main__":
    gateway = start()
    try:
        run_tests(dict(globals()))
    finally:
        gateway.stop()
