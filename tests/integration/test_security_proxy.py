"""Security of the proxy path and of every response, against real upstreams: the request
sent upstream is always framed by the gateway (a differential test over many request
shapes, read by Node's own parser), fields the gateway owns cannot be smuggled in another
spelling, repeated singleton fields are refused, trusted proxies decide who the client
is (admin `loopback` access, X-Forwarded-*, the access log), and every response carries
Date, Cache-Control and Vary."""

import base64
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error, http_json, http_request  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
framing = harness.Server([proxy_support.NODE, os.path.join(HERE, "framing_upstream.js")],
                         name="framing-upstream")
node = proxy_support.start_node_upstream("app")

UPSTREAMS = f"""
  - name: framing
    servers: [http://127.0.0.1:{framing.port}]
  - name: app
    servers: [http://127.0.0.1:{node.port}]
"""
ROUTES = """
  - {methods: ["*"], path: /f/*, kind: proxy, upstream: framing, tenant_required: false}
  - {methods: ["*"], path: /app/*, kind: proxy, upstream: app, tenant_required: false}
  - {methods: [GET], path: /echo, kind: echo, tenant_required: false}
"""
gw = harness.start_gateway(proxy_support.gateway_config(UPSTREAMS, ROUTES),
                           env=proxy_support.GATEWAY_ENV)

SMUGGLED = b"GET /f/smuggled HTTP/1.1\r\nHost: x\r\nX-Company-Code: BRAVO\r\n\r\n"
BODIES = [b"", b"hello", SMUGGLED, b"\x00\xff\r\n0\r\n\r\n" + SMUGGLED]
CONNECTION_VALUES = [None, "close", "keep-alive", "Content-Length", "content-length, close",
                     "Transfer-Encoding", "Host", "X-Forwarded-For, X-Real-IP",
                     "X-Company-Code", "X-Request-Id, Content-Length", "TE, Trailer, Keep-Alive",
                     "Upgrade", "Expect"]
METHODS = ["POST", "PUT", "PATCH", "DELETE", "GET", "OPTIONS"]


def upstream_log():
    status, _, data = http_request(framing.port, "GET", "/__log")
    expect(status == 200, status)
    return json.loads(data)


def encode_body(body, framing_kind):
    """Framing fields and the encoded body of one shape."""
    if framing_kind == "length":
        return [f"Content-Length: {len(body)}"], body
    if framing_kind == "chunked":
        encoded = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
        return ["Transfer-Encoding: chunked"], encoded
    # chunked in pieces, with an extension and a trailer
    pieces = [body[i:i + 3] for i in range(0, len(body), 3)]
    encoded = b"".join(f"{len(p):x};ext=1\r\n".encode() + p + b"\r\n" for p in pieces)
    return ["Transfer-Encoding: chunked"], encoded + b"0\r\nX-Trailer: t\r\n\r\n"


def read_response(sock, method):
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    data = response.read()
    return response.status, data


class _SharedReader:
    """A socket stand-in whose makefile() is one buffered reader, so that responses
    read one after another share the bytes read ahead (pipelined responses)."""

    class _Unclosable:
        def __init__(self, file):
            self._file = file

        def __getattr__(self, name):
            return getattr(self._file, name)

        def close(self):
            pass  # the next response is read from the same buffer

    def __init__(self, sock):
        self._file = self._Unclosable(sock.makefile("rb"))

    def makefile(self, *args, **kwargs):
        return self._file


def exchange(payload, method, responses=1):
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
        sock.sendall(payload)
        reader = _SharedReader(sock)
        return [read_response(reader, method) for _ in range(responses)]


def shapes():
    cases = itertools.product(CONNECTION_VALUES, ["length", "chunked", "pieces"], BODIES)
    for number, (connection, framing_kind, body) in enumerate(cases):
        method = METHODS[number % len(METHODS)]
        version = "1.0" if number % 5 == 4 and framing_kind == "length" else "1.1"
        expect_continue = number % 7 == 3 and version == "1.1"
        yield number, method, version, connection, framing_kind, body, expect_continue


def build_request(number, method, version, connection, framing_kind, body, expect_continue):
    fields = [f"Host: 127.0.0.1:{gw.port}"]
    if connection:
        fields.append(f"Connection: {connection}")
    framing_fields, encoded = encode_body(body, framing_kind)
    fields += framing_fields
    if expect_continue:
        fields.append("Expect: 100-continue")
    head = f"{method} /f/case?n={number} HTTP/{version}\r\n" + "".join(f + "\r\n" for f in fields)
    return head.encode() + b"\r\n" + encoded


def test_upstream_reads_exactly_the_request_sent():
    upstream_log()
    checked = 0
    for shape in shapes():
        number, method, version, connection, framing_kind, body, expect_continue = shape
        payload = build_request(*shape)
        [(status, data)] = exchange(payload, method)
        seen = upstream_log()
        if status != 200:
            # refused by the gateway: then nothing at all may have reached the upstream
            expect(status == 400, f"shape {shape}: status {status} {data[:200]!r}")
            expect(seen == [], f"shape {shape}: refused but the upstream read {seen}")
            continue
        expect(len(seen) == 1, f"shape {shape}: the upstream read {len(seen)} requests: {seen}")
        request = seen[0]
        expect("error" not in request, f"shape {shape}: upstream parse error {request}")
        expect(request["method"] == method, f"shape {shape}: method {request['method']}")
        expect(request["url"] == f"/f/case?n={number}", f"shape {shape}: url {request['url']}")
        expect(base64.b64decode(request["body"]) == body, f"shape {shape}: body differs")
        checked += 1
    expect(checked > 100, f"only {checked} shapes were accepted")


def test_pipelined_requests_stay_two():
    upstream_log()
    first = build_request(1, "POST", "1.1", "Content-Length", "length", SMUGGLED, False)
    second = build_request(2, "POST", "1.1", "Content-Length", "chunked", b"abc", False)
    replies = exchange(first + second, "POST", responses=2)
    expect([status for status, _ in replies] == [200, 200], replies)
    seen = upstream_log()
    expect([r.get("url") for r in seen] == ["/f/case?n=1", "/f/case?n=2"], seen)
    expect(base64.b64decode(seen[0]["body"]) == SMUGGLED, seen[0])


def test_response_framing_not_removable_by_upstream():
    # An upstream response naming Content-Length in Connection still reaches the client
    # framed: a keep-alive client reads exactly one response per request.
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen(4)
    port = upstream.getsockname()[1]
    cfg = proxy_support.gateway_config(f"""
  - name: raw
    servers: [http://127.0.0.1:{port}]
""", """
  - {methods: ["*"], path: /raw/*, kind: proxy, upstream: raw, tenant_required: false}
""")
    with harness.start_gateway(cfg, env=proxy_support.GATEWAY_ENV) as g:
        client = socket.create_connection(("127.0.0.1", g.port), timeout=10)
        client.sendall(b"GET /raw/a HTTP/1.1\r\nHost: x\r\n\r\n")
        conn, _ = upstream.accept()
        conn.settimeout(10)
        conn.recv(65536)
        body = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        status, data = read_response(client, "GET")
        expect(status == 200 and data == body, (status, data))
        conn.close()
        client.close()
    upstream.close()


def upstream_fields(headers):
    """(name lower-cased, value) pairs the Node upstream received."""
    status, _, data = http_request(gw.port, "GET", "/app/spoof?company=acme", headers=headers)
    expect(status == 200, f"status {status} {data[:200]!r}")
    raw = json.loads(data)["rawHeaders"]
    return [(raw[i].lower(), raw[i + 1]) for i in range(0, len(raw), 2)]


def test_owned_fields_in_other_spellings_removed():
    spoofs = {"X_Company_Code": "BRAVO", "x-company_code": "BRAVO", "X_COMPANY_CODE": "BRAVO",
              "X_Forwarded_For": "6.6.6.6", "X-Forwarded_Proto": "https", "x_forwarded_host": "evil",
              "X-Forwarded-Prefix": "/evil", "X_Forwarded_Port": "1", "Forwarded": "for=6.6.6.6",
              "X_Real_IP": "6.6.6.6", "X-Real-Ip": "6.6.6.6", "X_Request_Id": "spoofed"}
    fields = upstream_fields(spoofs)
    names = [name for name, _ in fields]
    for name in spoofs:
        if name.lower() not in ("x-real-ip",):
            expect(name.lower() not in names or name.lower() in ("x-forwarded-for",),
                   f"{name} reached the upstream: {fields}")
    folded = {}
    for name, value in fields:
        folded.setdefault(name.replace("_", "-"), []).append(value)
    expect(folded["x-company-code"] == ["ACME"], folded)
    expect(folded["x-forwarded-for"] == ["127.0.0.1"], folded)
    expect(folded["x-real-ip"] == ["127.0.0.1"], folded)
    expect(folded["x-forwarded-proto"] == ["http"], folded)
    expect(len(folded["x-request-id"]) == 1 and folded["x-request-id"] != ["spoofed"], folded)
    expect("forwarded" not in folded and "x-forwarded-prefix" not in folded, folded)


def test_repeated_authorization_refused_on_every_route():
    for path in ("/echo", "/app/x", "/health", "/nowhere"):
        payload = (f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
                   "Authorization: Bearer b\r\n\r\n").encode()
        data = harness.raw_exchange(gw.port, payload)
        expect(data.startswith(b"HTTP/1.1 400"), f"{path}: {data[:200]!r}")
        expect(b'"code":"duplicate_header"' in data, f"{path}: {data[:300]!r}")
    data = harness.raw_exchange(gw.port, b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    expect(data.startswith(b"HTTP/1.1 400"), data[:200])


def test_every_response_has_date_cache_control_and_vary():
    for path in ("/echo", "/livez", "/health", "/nowhere", "/app/x?company=acme", "/echo?%zz"):
        status, headers, _ = http_request(gw.port, "GET", path)
        expect("date" in headers and headers["date"].endswith(" GMT"), f"{path}: {headers}")
        time.strptime(headers["date"], "%a, %d %b %Y %H:%M:%S GMT")
        if not path.startswith("/app/"):
            expect(headers.get("cache-control") == "no-store", f"{path}: {headers}")
            expect("Authorization" in headers.get("vary", "") and
                   "X-Company-Code" in headers.get("vary", ""), f"{path}: {headers}")
    # A proxy error is the gateway's own answer: never stored either.
    status, headers, _ = http_request(gw.port, "GET", "/app/reset")
    expect(status == 502 and headers.get("cache-control") == "no-store", (status, headers))


def test_unknown_codes_take_no_tenant_label():
    # Strangers' codes must not use up the label slots real tenants need later.
    cfg = proxy_support.gateway_config(UPSTREAMS, ROUTES) + "metrics: {max_tenant_labels: 2}\n"
    with harness.start_gateway(cfg, env=proxy_support.GATEWAY_ENV) as g:
        for i in range(20):
            http_request(g.port, "GET", f"/app/x?company=STRANGER{i}")
        status, _, _ = http_request(g.port, "GET", "/app/x?company=acme")
        expect(status == 200, status)
        samples = harness.scrape_metrics(g.port)
        name = "tenant_gateway_http_requests_total"
        tenants = {dict(labels).get("tenant") for (n, labels) in samples if n == name}
        expect("ACME" in tenants, f"the registered tenant has no label: {tenants}")
        expect("_unknown" in tenants, tenants)
        expect(not any(t and t.startswith("STRANGER") for t in tenants), tenants)
        expect("_other" not in tenants, tenants)


def local_non_loopback_address():
    """An address of this machine that is not loopback, or None."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except OSError:
        return None
    for address in out.split():
        if "." in address and not address.startswith("127."):
            return address
    return None


def admin_gateway(trusted, access="loopback"):
    # on every address, so that a client can also come from a non-loopback one
    cfg = proxy_support.gateway_config(UPSTREAMS, ROUTES, limits="") + f"""
admin: {{enabled: true, access: {access}}}
"""
    cfg = cfg.replace("address: 127.0.0.1", "address: 0.0.0.0")
    if trusted:
        cfg = cfg.replace("io_threads: 2}", f"io_threads: 2, trusted_proxies: [{trusted}]}}")
    return harness.start_gateway(cfg, env=proxy_support.GATEWAY_ENV)


def admin_status(port, headers=None, host="127.0.0.1"):
    status, _, _ = http_request(port, "GET", "/admin/tenants", headers=headers, host=host)
    return status


def test_forwarding_fields_ignored_from_untrusted_peers():
    with admin_gateway(trusted=None) as g:
        # loopback peer, no trusted proxies: its X-Forwarded-For changes nothing
        expect(admin_status(g.port, {"X-Forwarded-For": "203.0.113.9"}) != 403, "loopback refused")
        address = local_non_loopback_address()
        if address:
            status, _, body = http_json(g.port, "POST", "/admin/registry/reload", host=address,
                                        headers={"X-Forwarded-For": "127.0.0.1"})
            expect_error(status, body, 403, "forbidden")


def test_trusted_proxy_names_the_client():
    with admin_gateway(trusted="127.0.0.1/32") as g:
        # through the trusted proxy (this loopback peer), the client is the XFF address
        expect(admin_status(g.port, {"X-Forwarded-For": "203.0.113.9"}) == 403, "remote client admitted")
        status, _, body = http_json(g.port, "POST", "/admin/registry/reload",
                                    headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
        expect_error(status, body, 403, "forbidden")
        status, _, body = http_json(g.port, "GET", "/admin/tenants",
                                    headers={"X-Forwarded-For": "garbage"})
        expect_error(status, body, 403, "forbidden")
        status, _, body = http_json(g.port, "GET", "/admin/tenants",
                                    headers={"Forwarded": 'for="[2001:db8::1]:4711";proto=https'})
        expect_error(status, body, 403, "forbidden")
        # a real local client behind the proxy is still local
        expect(admin_status(g.port, {"X-Forwarded-For": "127.0.0.1"}) != 403, "local client refused")
        # the upstream learns the real client and the scheme the proxy saw
        status, _, data = http_request(g.port, "GET", "/app/xff?company=acme",
                                       headers={"X-Forwarded-For": "198.51.100.4",
                                                "X-Forwarded-Proto": "https"})
        seen = json.loads(data)["headers"]
        expect(seen["x-forwarded-for"] == "198.51.100.4, 127.0.0.1", seen)
        expect(seen["x-real-ip"] == "198.51.100.4", seen)
        expect(seen["x-forwarded-proto"] == "https", seen)
        line = g.wait_for_line(r'"msg":"access".*"client":"198\.51\.100\.4"', 5)
        expect(line is not None, "the access log does not name the real client")


def test_behind_a_real_nginx_on_the_same_host():
    # nginx terminates client connections on this host and proxies to the gateway, as
    # the README recommends; a client from another address must not reach /admin/.
    address = local_non_loopback_address()
    expect(address is not None, "this machine has no non-loopback address to test from")
    with admin_gateway(trusted="127.0.0.1/32") as g:
        nginx = proxy_support.Nginx(tempfile.mkdtemp(prefix="tg-front-"), listen_address="0.0.0.0",
                                    server_body=f"""
    location / {{
      proxy_pass http://127.0.0.1:{g.port};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}""")
        try:
            status, _, body = http_json(nginx.port, "POST", "/admin/registry/reload", host=address,
                                        headers={"X-Forwarded-For": "127.0.0.1"})
            expect_error(status, body, 403, "forbidden")
            status, _, _ = http_request(nginx.port, "GET", "/admin/tenants", host="127.0.0.1")
            expect(status != 403, f"a local operator behind nginx is refused: {status}")
            line = g.wait_for_line(r'"msg":"access".*"client":"' + address.replace(".", r"\.") + '"', 5)
            expect(line is not None, "the access log does not name the client behind nginx")
        finally:
            nginx.stop()


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    node.stop()
    framing.stop()
