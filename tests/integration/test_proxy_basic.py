"""Proxy routes against a real Node upstream and a real nginx: forwarding headers,
tenant header, prefix stripping, chunked bodies both ways, HEAD, Expect, WebSocket,
errors (502, 504), retries only when safe, and request-smuggling shapes refused."""

import base64
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error, http_request, http_json, raw_exchange  # noqa: E402

node = proxy_support.start_node_upstream("a")
node_b = proxy_support.start_node_upstream("b")
static_root = tempfile.mkdtemp(prefix="tg-static-")
with open(os.path.join(static_root, "index.html"), "w") as f:
    f.write("<h1>field service app</h1>\n")
nginx = proxy_support.Nginx(static_root)
dead_port = proxy_support.free_port()  # nothing listens here

UPSTREAMS = f"""
  - name: app
    servers: [http://127.0.0.1:{node.port}]
    read_timeout: 1s
    total_timeout: 3s
  - name: static
    servers: [http://127.0.0.1:{nginx.port}]
    preserve_host: false
  - name: dead
    servers: [http://127.0.0.1:{dead_port}]
    connect_timeout: 1s
  - name: pair
    servers: [http://127.0.0.1:{dead_port}, http://127.0.0.1:{node_b.port}]
    passive_failures: 100
"""
ROUTES = """
  - {methods: ["*"], path: /app/*, kind: proxy, upstream: app, tenant_required: false}
  - {methods: ["*"], path: /stripped/*, kind: proxy, upstream: app, strip_prefix: /stripped, tenant_required: false}
  - {methods: [GET], path: /static/*, kind: proxy, upstream: static, strip_prefix: /static, tenant_required: false}
  - {methods: ["*"], path: /dead/*, kind: proxy, upstream: dead, tenant_required: false}
  - {methods: ["*"], path: /pair/*, kind: proxy, upstream: pair, tenant_required: false}
  - {methods: [GET], path: /echo, kind: echo, tenant_required: false}
"""
gw = harness.start_gateway(proxy_support.gateway_config(UPSTREAMS, ROUTES),
                           env=proxy_support.GATEWAY_ENV)


def echo(path, method="GET", body=None, headers=None):
    status, hdrs, data = http_request(gw.port, method, path, body=body, headers=headers)
    expect(status == 200, f"{path}: status {status} {data[:300]!r}")
    return hdrs, json.loads(data)


def test_forwarding_headers():
    hdrs, seen = echo("/app/x?company=acme", headers={"X-Forwarded-For": "10.1.1.1",
                                                      "X-Request-Id": "req-abc-123"})
    h = seen["headers"]
    expect(seen["url"] == "/app/x?company=acme", seen["url"])
    # The peer is not a trusted proxy: its own X-Forwarded-For is a claim, not passed on.
    expect(h["x-forwarded-for"] == "127.0.0.1", h)
    expect(h["x-real-ip"] == "127.0.0.1", h)
    expect(h["x-forwarded-proto"] == "http", h)
    expect(h["x-forwarded-host"] == f"127.0.0.1:{gw.port}", h)
    expect(h["host"] == f"127.0.0.1:{gw.port}", "preserve_host keeps the client's Host")
    expect(h["x-request-id"] == "req-abc-123", h)
    expect(hdrs["x-request-id"] == "req-abc-123", hdrs)
    expect(h["x-company-code"] == "ACME", h)


def test_spoofed_company_code_replaced_or_removed():
    # Tenant taken from the query only: a client's X-Company-Code names nothing and must
    # be replaced by the resolved tenant, or removed when there is none.
    cfg = proxy_support.gateway_config(f"""
  - name: app
    servers: [http://127.0.0.1:{node.port}]
""", """
  - {methods: ["*"], path: /app/*, kind: proxy, upstream: app, tenant_required: false}
""").replace("tenants:", "tenant_resolution: {order: [query]}\ntenants:", 1)
    with harness.start_gateway(cfg, env=proxy_support.GATEWAY_ENV) as g:
        status, _, data = http_request(g.port, "GET", "/app/t?company=acme",
                                       headers={"X-Company-Code": "EVIL"})
        seen = json.loads(data)
        raw = seen["rawHeaders"]
        values = [raw[i + 1] for i in range(0, len(raw), 2) if raw[i].lower() == "x-company-code"]
        expect(values == ["ACME"], values)
        status, _, data = http_request(g.port, "GET", "/app/t", headers={"X-Company-Code": "EVIL"})
        seen = json.loads(data)
        expect("x-company-code" not in seen["headers"], seen["headers"])
    # With the header a resolution source, a conflicting or invalid one is refused.
    status, _, body = http_json(gw.port, "GET", "/app/t?company=acme",
                                headers={"X-Company-Code": "EVIL"})
    expect_error(status, body, 400, "tenant_conflict")
    status, _, body = http_json(gw.port, "GET", "/app/t", headers={"X-Company-Code": "bad code!"})
    expect(status == 400, f"status {status} {body}")
    _, seen = echo("/app/t", headers={"X-Company-Code": "acme"})
    expect(seen["headers"].get("x-company-code") == "ACME", seen["headers"])


def test_no_tenant_no_company_header():
    _, seen = echo("/app/none")
    expect("x-company-code" not in seen["headers"], seen["headers"])


def test_hop_by_hop_removed():
    _, seen = echo("/app/hop", headers={"Connection": "keep-alive, X-Secret-Hop",
                                        "X-Secret-Hop": "1", "Keep-Alive": "timeout=5",
                                        "Proxy-Authorization": "Basic eA==", "TE": "trailers"})
    h = seen["headers"]
    for name in ("x-secret-hop", "keep-alive", "proxy-authorization", "te"):
        expect(name not in h, f"{name} passed through: {h}")


def test_prefix_stripping():
    _, seen = echo("/stripped/inner/path?q=1")
    expect(seen["url"] == "/inner/path?q=1", seen["url"])
    _, seen = echo("/stripped")
    expect(seen["url"] == "/", seen["url"])


def test_static_file_from_nginx():
    status, hdrs, data = http_request(gw.port, "GET", "/static/index.html")
    expect(status == 200 and b"field service app" in data, f"{status} {data!r}")
    status, hdrs, data = http_request(gw.port, "HEAD", "/static/index.html")
    expect(status == 200 and data == b"", f"HEAD {status} {data!r}")
    expect(hdrs.get("content-length") == str(len("<h1>field service app</h1>\n")), hdrs)
    status, _, _ = http_request(gw.port, "GET", "/static/missing.html")
    expect(status == 404, f"404 passes through, got {status}")


def test_chunked_request_body():
    def gen():
        for i in range(20):
            yield (b"%05d" % i) * 100
    conn = __import__("http.client").client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.request("POST", "/app/upload", body=gen(), encode_chunked=True)
    res = conn.getresponse()
    seen = json.loads(res.read())
    conn.close()
    expect(res.status == 200, res.status)
    expect(seen["chunked"] and seen["bodyBytes"] == 20 * 500, seen)


def test_chunked_response_streamed():
    # The upstream writes five parts 50 ms apart; each arrives as its own chunk.
    data = raw_exchange(gw.port, b"GET /app/chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    expect(b"transfer-encoding: chunked" in head.lower(), head)
    expect(body.endswith(b"0\r\n\r\n"), body[-20:])
    for i in range(5):
        expect(f"part{i}\n".encode() in body, body)


def test_expect_100_continue():
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b"POST /app/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
        first = s.recv(65536)
        expect(first.startswith(b"HTTP/1.1 100 Continue"), first)
        s.sendall(b"hello")
        data = first
        while True:
            part = s.recv(65536)
            if not part:
                break
            data += part
    expect(b"HTTP/1.1 200" in data and b'"bodyBytes":5' in data, data)


def test_keep_alive_across_proxied_requests():
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    for i in range(5):
        conn.request("POST", f"/app/ka{i}", body=b"x" * i)
        res = conn.getresponse()
        seen = json.loads(res.read())
        expect(res.status == 200 and seen["bodyBytes"] == i, seen)
    conn.close()


def test_body_limit_does_not_apply_to_proxied_bodies():
    body = b"y" * (3 * 1024 * 1024)  # limits.max_body_bytes is 1 MiB
    _, seen = echo("/app/big", method="POST", body=body)
    expect(seen["bodyBytes"] == len(body), seen["bodyBytes"])


def test_upstream_down_is_502():
    status, hdrs, body = http_json(gw.port, "GET", "/dead/x")
    expect_error(status, body, 502, "upstream_unavailable")
    expect(hdrs.get("x-request-id"), hdrs)


def test_upstream_reset_is_502():
    status, _, body = http_json(gw.port, "POST", "/app/reset", body=b"z")
    expect_error(status, body, 502, "upstream_unavailable")


def test_slow_upstream_is_504():
    status, _, body = http_json(gw.port, "GET", "/app/slow?ms=2500")
    expect_error(status, body, 504, "upstream_timeout")


def test_failure_after_head_closes_connection():
    # 1000 of 1000000 announced bytes, then a reset: the client must see the connection
    # close early, never a second response.
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b"GET /app/fail-midway HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            part = s.recv(65536)
            if not part:
                break
            data += part
    expect(data.startswith(b"HTTP/1.1 200"), data[:100])
    expect(data.count(b"HTTP/1.1") == 1 and len(data) < 1000000, len(data))
    status, _, _ = http_request(gw.port, "GET", "/echo")
    expect(status == 200, "the gateway still serves")


def test_sized_body_arriving_in_pieces_relayed_whole():
    # Content-Length bodies are relayed past the parser, gathered into writes of up to
    # 64 KiB from what the upstream socket holds: pieces that arrive with the header,
    # between pauses, smaller and larger than the window, and exactly its size, must
    # come out byte for byte, and the connection must serve the next request.
    shapes = ["10", "100,0,5", "16000,400,70000", "1,65536,1", "65536", "200000,3,131072", "70000,70000"]
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as s:
        for shape in shapes:
            s.sendall(f"GET /app/trickle?pieces={shape}&ms=40 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, body = proxy_support.read_response(s)
            expect(status == 200, f"{shape}: status {status}")
            total = sum(int(n) for n in shape.split(","))
            expect(len(body) == total, f"{shape}: {len(body)} bytes, not {total}")
            expect(body == bytes(i % 251 for i in range(total)), f"{shape}: the body differs")


def test_upstream_sending_past_its_answer_is_not_reused():
    # Bytes after a Content-Length body are not the next client's answer: the upstream
    # connection that carried them is closed, not parked for the next request.
    for _ in range(3):
        status, _, body = http_request(gw.port, "GET", "/app/overlong")
        expect(status == 200 and body == b"hello", f"{status} {body!r}")
        for _ in range(3):
            status, _, body = http_request(gw.port, "GET", "/app/after-overlong")
            expect(status == 200 and b"smuggled" not in body, f"the extra bytes were served: {body[:200]!r}")
            expect(json.loads(body)["url"] == "/app/after-overlong", body[:200])


def hits(upstream, of):
    status, _, body = http_json(upstream.port, "GET", f"/hits?of={of}")
    return body["hits"]


def test_retry_on_connect_failure_any_method():
    # The first server refuses connections: nothing was sent, so even POST moves on.
    for i in range(4):
        _, seen = echo(f"/pair/p?key=post{i}", method="POST", body=b"abc")
        expect(seen["server"] == "b" and seen["bodyBytes"] == 3, seen)


def test_retry_only_when_safe():
    # A reset after the request was sent: GET is retried on the next server (the same
    # one here, for lack of another), POST is not.
    cfg = proxy_support.gateway_config(f"""
  - name: twice
    servers: [http://127.0.0.1:{node_b.port}, http://127.0.0.1:{node_b.port}/]
    passive_failures: 100
""", """
  - {methods: ["*"], path: /t/*, kind: proxy, upstream: twice, strip_prefix: /t, tenant_required: false}
""")
    with harness.start_gateway(cfg, env=proxy_support.GATEWAY_ENV) as g:
        status, _, _ = http_request(g.port, "GET", "/t/reset?key=get-reset")
        expect(status == 502, status)
        expect(hits(node_b, "get-reset") == 2, f"GET tried {hits(node_b, 'get-reset')} times")
        status, _, _ = http_request(g.port, "POST", "/t/reset?key=post-reset", body=b"abc")
        expect(status == 502, status)
        expect(hits(node_b, "post-reset") == 1, f"POST tried {hits(node_b, 'post-reset')} times")


def test_stale_parked_connection_retried_on_a_fresh_one():
    # The server closes a parked connection as the next request arrives: nothing was
    # answered, the method is safe, so the gateway sends it again on a new connection
    # to the same (only) server instead of answering 502.
    # One client connection, so both requests run on the same event loop and the second
    # takes the connection the first one parked (each loop prefers its own parked ones).
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=5)
    for _ in range(2):
        conn.request("GET", "/app/close-if-reused?key=stale")
        res = conn.getresponse()
        body = res.read()
        expect(res.status == 200, (res.status, body))
    conn.close()
    expect(hits(node, "stale") == 3, f"server saw {hits(node, 'stale')} requests")


def test_requests_beyond_max_connections_per_server_wait_for_a_free_one():
    # One connection to the server: concurrent requests queue for it and each is woken
    # when the one before parks it; one whose connect_timeout ends first gets a 502.
    cfg = proxy_support.gateway_config(f"""
  - name: single
    servers: [http://127.0.0.1:{node.port}]
    max_connections_per_server: 1
    connect_timeout: 5s
  - name: impatient
    servers: [http://127.0.0.1:{node.port}]
    max_connections_per_server: 1
    connect_timeout: 200ms
""", """
  - {methods: [GET], path: /single/*, kind: proxy, upstream: single, tenant_required: false}
  - {methods: [GET], path: /impatient/*, kind: proxy, upstream: impatient, tenant_required: false}
""")
    with harness.start_gateway(cfg, env=proxy_support.GATEWAY_ENV) as g:
        results = []

        def fetch(path):
            status, _, body = http_request(g.port, "GET", path)
            results.append((path, status, body))

        threads = [threading.Thread(target=fetch, args=(f"/single/slow?ms=200&key=q{i}",))
                   for i in range(4)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        elapsed = time.monotonic() - started
        expect(sorted(status for _, status, _ in results) == [200] * 4, results)
        expect(elapsed >= 0.75, f"4 requests over one connection took {elapsed:.2f}s")
        expect(elapsed < 4, f"waiters were not woken: {elapsed:.2f}s")

        results.clear()
        threads = [threading.Thread(target=fetch, args=(path,))
                   for path in ("/impatient/slow?ms=1500", "/impatient/slow?ms=10")]
        threads[0].start()
        time.sleep(0.3)  # the first holds the only connection
        threads[1].start()
        for t in threads:
            t.join(20)
        by_path = {path: (status, body) for path, status, body in results}
        expect(by_path["/impatient/slow?ms=1500"][0] == 200, by_path)
        status, body = by_path["/impatient/slow?ms=10"]
        expect(status == 502 and b"every connection to the upstream server is busy" in body, by_path)


def ws_frame(text):
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def test_websocket_echo():
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(("GET /app/ws?company=ACME HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Key: {key}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(4096)
        head, _, rest = head.partition(b"\r\n\r\n")
        expect(head.startswith(b"HTTP/1.1 101"), head)
        expect(b"x-company-seen: acme" in head.lower(), head)
        for text in ("hello", "second message", "x" * 100):
            s.sendall(ws_frame(text))
            want = len(text) + 2
            while len(rest) < want:
                rest += s.recv(4096)
            expect(rest[:want] == bytes([0x81, len(text)]) + text.encode(), rest[:want])
            rest = rest[want:]


def read_head(sock):
    """The response head (status line and fields, lower-cased) and whatever came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        expect(piece, f"the connection closed inside the head: {data!r}")
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1").lower(), rest


def test_bodiless_answers_end_with_their_header():
    # 204 and 304 have no body whatever framing their header states: nothing may follow
    # the head on a kept-alive client connection, or the client reads it as the start of
    # its next answer. A 204 states no framing; a 304 keeps its Content-Length.
    for status in (204, 304):
        for framing in ("chunked", "length"):
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
                s.sendall(f"GET /app/bodiless?status={status}&framing={framing} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                head, rest = read_head(s)
                case = f"{status} {framing}"
                expect(head.startswith(f"http/1.1 {status}"), f"{case}: {head}")
                expect(rest == b"", f"{case}: bytes after the head: {rest!r}")
                expect("transfer-encoding" not in head, f"{case}: {head}")
                expect(("content-length: 1234" in head) == (status == 304 and framing == "length"), f"{case}: {head}")
                expect("connection: close" not in head, f"{case}: {head}")
                s.sendall(b"GET /app/after-bodiless HTTP/1.1\r\nHost: x\r\n\r\n")
                got, body = proxy_support.read_response(s)
                expect(got == 200 and json.loads(body)["url"] == "/app/after-bodiless", f"{case}: {got} {body[:200]!r}")


def test_bodiless_answer_announcing_a_body_is_not_reused():
    # The late bytes of a 204 that announced a body must not become another request's
    # answer: that upstream connection is closed, not parked. (A POST: a GET that met
    # them would be retried on a new connection and hide it.)
    for _ in range(2):
        status, _, _ = http_request(gw.port, "GET", "/app/late-body-204")
        expect(status == 204, status)
        status, _, body = http_request(gw.port, "POST", "/app/after-late-body", body=b"x", timeout=5)
        expect(status == 200 and json.loads(body)["url"] == "/app/after-late-body", f"{status} {body[:200]!r}")


def test_status_below_100_is_a_bad_gateway():
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
        s.sendall(b"GET /app/status-099 HTTP/1.1\r\nHost: x\r\n\r\n")
        status, body = proxy_support.read_response(s)
        expect(status == 502, f"{status} {body[:200]!r}")


def test_only_websocket_switches_protocols():
    # h2c (or any protocol but WebSocket) is not switched to: the request goes upstream
    # as plain HTTP/1.1 without Upgrade or HTTP2-Settings, and the answer is the app's.
    for upgrade in ("h2c", "TLS/1.0", "foo, websocket2"):
        status, _, body = http_request(gw.port, "GET", "/app/h2c?company=ACME", headers={
            "Upgrade": upgrade, "Connection": "Upgrade", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA"})
        expect(status == 200, f"{upgrade}: {status} {body[:200]!r}")
        seen = json.loads(body)["headers"]
        expect("upgrade" not in seen and "http2-settings" not in seen, f"{upgrade}: {seen}")
    # A WebSocket request whose upstream switches to another protocol, or to more than
    # the one asked for, gets 502 and the connection closes (the client may already
    # speak the new protocol).
    for switch in ("h2c", "websocket,%20h2c"):
        key = base64.b64encode(os.urandom(16)).decode()
        with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as s:
            s.sendall((f"GET /app/ws?company=ACME&switch={switch} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket, h2c\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n").encode())
            head, _ = read_head(s)
            expect(head.startswith("http/1.1 502") and "connection: close" in head, f"{switch}: {head}")


SMUGGLING = {
    "CL and TE": b"POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "TE and CL": b"POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    "duplicate CL": b"POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    b"Content-Length: 5\r\n\r\nhello",
    "conflicting CL": b"POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                      b"Content-Length: 6\r\n\r\nhello!",
    "CL list": b"POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
    "TE not chunked": b"POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "TE chunked not last": b"POST /app/s HTTP/1.1\r\nHost: x\r\n"
                           b"Transfer-Encoding: chunked, gzip\r\n\r\n",
    "TE gzip, chunked": b"POST /app/s HTTP/1.1\r\nHost: x\r\n"
                        b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "TE twice": b"POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "TE in HTTP/1.0": b"POST /app/s HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"0\r\n\r\n",
    "obs-fold": b"GET /app/s HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    "obs-fold TE": b"POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                   b"0\r\n\r\n",
    "space before colon": b"POST /app/s HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
    "bad chunk size": b"POST /app/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nhello\r\n0\r\n\r\n",
}


def test_smuggling_shapes_refused():
    for name, payload in SMUGGLING.items():
        data = raw_exchange(gw.port, payload)
        if name == "bad chunk size":
            # The header was fine and the request went upstream; the body is not: the
            # gateway closes instead of answering from a half-read stream.
            expect(b"HTTP/1.1 200" not in data, f"{name}: {data[:200]!r}")
            continue
        expect(data.startswith(b"HTTP/1.1 400") or data.startswith(b"HTTP/1.0 400"),
               f"{name}: {data[:200]!r}")
        expect(b'"code":"bad_request"' in data, f"{name}: {data[:300]!r}")
    # The same shapes are refused on non-proxy routes too.
    data = raw_exchange(gw.port, b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n")
    expect(data.startswith(b"HTTP/1.1 400"), data[:100])


def test_access_log_for_proxied_requests():
    status, _, _ = http_request(gw.port, "GET", "/app/logged-path?company=acme",
                                headers={"X-Request-Id": "log-check-1"})
    expect(status == 200, status)
    match = gw.wait_for_line(r'"requestId":"log-check-1"|"request_id":"log-check-1"', 5)
    expect(match is not None, "no access-log line")
    line = [l for l in gw.output() if "log-check-1" in l][-1]
    expect('"status":200' in line and "/app/logged-path" in line, line)


def proxied_requests_counted():
    count = harness.metric_value(harness.scrape_metrics(gw.port), "tenant_gateway_http_requests_total",
                                 tenant="ACME", route="/app/*", method="GET", status_class="2xx")
    return count or 0.0


def test_proxied_requests_counted_in_metrics():
    before = proxied_requests_counted()
    for _ in range(3):
        status, _, _ = http_request(gw.port, "GET", "/app/counted?company=acme")
        expect(status == 200, status)
    # Counted once the last byte is relayed, which may be just after the client has it.
    deadline = time.monotonic() + 2
    after = proxied_requests_counted()
    while after - before < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
        after = proxied_requests_counted()
    expect(after - before == 3, f"counter moved by {after - before}, want 3")


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    node.stop()
    node_b.stop()
    nginx.stop()
