"""HTTPS beside HTTP (listen.tls), checked with real clients: curl verifying the chain,
`openssl s_client` for protocol versions, ciphers and ALPN, Python's ssl for keep-alive
connections. The same routes (a SQL route on tdsd, a proxy route to the Node upstream)
answer on both ports; HSTS only on HTTPS. Bad handshakes (garbage, half a ClientHello, a
client that says nothing) are dropped after handshake_timeout without disturbing a good
client. SIGHUP with a new certificate: new handshakes get it while a keep-alive
connection opened before keeps working; a broken certificate on reload keeps the old."""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, http_request  # noqa: E402

sys.path.insert(0, harness.source_path("tests"))
import tls_material  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

HANDSHAKE_TIMEOUT = 1.0  # seconds, as configured below
CURL = shutil.which("curl") or "/usr/bin/curl"

work = tempfile.mkdtemp(prefix="tg-https-")
ca = tls_material.make_ca(work, "HTTPS Test CA")
first = tls_material.make_server_cert(ca, work, "gateway-one", dns=["localhost"], ips=["127.0.0.1"])
second = tls_material.make_server_cert(ca, work, "gateway-two", dns=["localhost"], ips=["127.0.0.1"])
stranger = tls_material.make_ca(work, "Stranger CA")
# The files the gateway reads; replaced in place on "renewal".
CERT = os.path.join(work, "live.crt")
KEY = os.path.join(work, "live.key")


def install(cert):
    """Puts `cert` at CERT/KEY as a renewal tool would: write aside, then rename."""
    for source, target in ((cert.cert, CERT), (cert.key, KEY)):
        shutil.copyfile(source, target + ".new")
        os.chmod(target + ".new", 0o600)
        os.replace(target + ".new", target)


install(first)

DB_PASSWORD = "https-db-pw"
tdsd = tdsd_harness.Tdsd(f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: app, password: "${{TDSD_TEST_PASSWORD}}", databases: ["*"]}}
databases:
  - {{name: ShopDB, file: ":memory:", init: [{harness.write_temp('''
CREATE TABLE Items (Id INT PRIMARY KEY, Name NVARCHAR(40))
GO
INSERT INTO Items (Id, Name) VALUES (1, 'wrench'), (2, 'ladder')
GO
''', suffix=".sql")}]}}
""", env={"TDSD_TEST_PASSWORD": DB_PASSWORD})
node = proxy_support.start_node_upstream("https")

CONFIG = f"""
listen:
  address: 127.0.0.1
  port: 0
  io_threads: 2
  tls:
    port: 0
    cert_file: {CERT}
    key_file: {KEY}
    handshake_timeout: {int(HANDSHAKE_TIMEOUT * 1000)}ms
    hsts: {{max_age: 2h, include_subdomains: true}}
limits: {{header_timeout: 5s, idle_timeout: 30s}}
registry:
  source: yaml
  default_user: app
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{encrypt: false, max_size: 2}}
routes:
  - {{methods: [GET], path: /api/items, kind: sql, sql: "SELECT Id, Name FROM Items ORDER BY Id"}}
  - {{methods: ["*"], path: /app/*, kind: proxy, upstream: app, tenant_required: false}}
tenants:
  - {{code: SHOP, server: 127.0.0.1, port: {tdsd.port}, database: ShopDB}}
upstreams:
  - {{name: app, servers: ["http://127.0.0.1:{node.port}"]}}
"""
gw = harness.start_gateway(CONFIG, env={"TG_TEST_DB_PASSWORD": DB_PASSWORD})
match = gw.wait_for_line(r"serving https on (\S+):(\d+)", timeout=5)
expect(match is not None, "no 'serving https on' line")
HTTPS_PORT = int(match.group(2))


def s_client(*args, data=b""):
    """openssl s_client against the HTTPS port; (exit code, combined output)."""
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{HTTPS_PORT}", "-CAfile", ca.cert,
            "-verify_return_error", *args]
    result = subprocess.run(argv, input=data, capture_output=True, timeout=20)
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace")


def curl(url, *args):
    """curl verifying the chain against the test CA; (status, headers dict, body)."""
    argv = [CURL, "-sS", "--max-time", "10", "--cacert", ca.cert, "-D", "-", "-o", "-",
            "--resolve", f"localhost:{HTTPS_PORT}:127.0.0.1", *args, url]
    result = subprocess.run(argv, capture_output=True, timeout=20)
    expect(result.returncode == 0, f"curl {url} failed: {result.stderr.decode()}")
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def https_url(path):
    return f"https://localhost:{HTTPS_PORT}{path}"


def client_context():
    context = ssl.create_default_context(cafile=ca.cert)
    return context


def served_certificate():
    """The DER certificate a fresh handshake is shown."""
    context = client_context()
    with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(cert):
    with open(cert.cert) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def test_tls12_and_tls13_accepted_older_refused():
    for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        code, out = s_client(flag, "-servername", "localhost")
        expect(code == 0, f"{flag} refused:\n{out}")
        # "New, TLSv1.3, Cipher is ..." is printed whether or not a session ticket came.
        expect(re.search(rf"New, {re.escape(name)}, Cipher is", out), f"{flag}: not {name}:\n{out}")
        expect("Verify return code: 0 (ok)" in out, out)
    # The client is allowed to offer the old versions (security level 0), so a refusal
    # comes from the gateway, not from the client's own policy.
    for flag in ("-tls1_1", "-tls1"):
        code, out = s_client(flag, "-cipher", "DEFAULT:@SECLEVEL=0")
        expect(code != 0, f"{flag} was accepted:\n{out}")
        expect(re.search(r"alert protocol version|unsupported protocol|wrong version", out, re.I),
               f"{flag}: refused for another reason:\n{out}")


def test_tls12_ciphers_are_ecdhe_aead_only():
    code, out = s_client("-tls1_2")
    expect(code == 0, out)
    cipher = re.search(r"New, TLSv1\.2, Cipher is (\S+)", out).group(1)
    expect(cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher)
    # CBC suites the certificate (EC) could otherwise serve, offered alone: refused.
    for weak in ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"):
        code, out = s_client("-tls1_2", "-cipher", weak)
        expect(code != 0, f"{weak} accepted:\n{out}")
        expect(re.search(r"handshake failure|no shared cipher|no ciphers", out, re.I), out)


def test_alpn_http11_and_h2_only_refused_as_nginx_does():
    code, out = s_client("-alpn", "http/1.1")
    expect(code == 0 and "ALPN protocol: http/1.1" in out, out)
    code, out = s_client("-alpn", "h2,http/1.1")
    expect(code == 0 and "ALPN protocol: http/1.1" in out, f"h2,http/1.1 should pick http/1.1:\n{out}")
    code, out = s_client("-alpn", "h2")
    expect(code != 0 and re.search(r"no application protocol", out, re.I), f"h2 only:\n{out}")
    # No ALPN at all: plain HTTP/1.1 over TLS, a request answered.
    code, out = s_client("-servername", "localhost", "-quiet",
                         data=b"GET /app/alpn HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    expect("HTTP/1.1 200" in out, f"no ALPN: {out[:500]}")


def test_curl_verifies_chain_and_sni_is_harmless():
    status, headers, body = curl(https_url("/app/chain"))
    expect(status == 200, f"status {status} {body[:200]!r}")
    # SNI of a name the certificate does not carry changes nothing on the server's side.
    code, out = s_client("-servername", "other.example.test", "-alpn", "http/1.1")
    expect(code == 0 and "ALPN protocol: http/1.1" in out, out)
    # Without the CA, curl must refuse the certificate (the check above really verified).
    result = subprocess.run([CURL, "-sS", "--max-time", "5", "--resolve", f"localhost:{HTTPS_PORT}:127.0.0.1",
                             "--cacert", stranger.cert, https_url("/app/x")],
                            capture_output=True, timeout=20)
    expect(result.returncode == 60, f"curl without the CA: {result.returncode} {result.stderr!r}")


def test_same_routes_on_both_ports_hsts_only_on_https():
    status, headers, body = curl(https_url("/api/items?company=shop"))
    expect(status == 200, f"https sql: {status} {body[:300]!r}")
    rows = json.loads(body)
    plain_status, plain_headers, plain_body = http_request(gw.port, "GET", "/api/items?company=shop")
    expect(plain_status == 200, f"http sql: {plain_status} {plain_body[:300]!r}")
    expect(json.loads(plain_body) == rows, f"{rows} vs {plain_body!r}")
    expect(headers.get("strict-transport-security") == "max-age=7200; includeSubDomains", headers)
    expect("strict-transport-security" not in plain_headers, plain_headers)

    # The proxy route: the upstream is told the client came over HTTPS.
    status, headers, body = curl(https_url("/app/seen"))
    expect(status == 200, f"https proxy: {status}")
    expect(json.loads(body)["headers"]["x-forwarded-proto"] == "https", body[:400])
    expect(headers.get("strict-transport-security") == "max-age=7200; includeSubDomains", headers)
    plain_status, plain_headers, plain_body = http_request(gw.port, "GET", "/app/seen")
    expect(plain_status == 200 and json.loads(plain_body)["headers"]["x-forwarded-proto"] == "http",
           plain_body[:400])
    expect("strict-transport-security" not in plain_headers, plain_headers)
    # The gateway's own errors over HTTPS carry it too.
    status, headers, _ = curl(https_url("/nowhere"))
    expect(status == 404 and "strict-transport-security" in headers, f"{status} {headers}")


def good_requests(count):
    """`count` requests on one keep-alive HTTPS connection; the seconds each took."""
    conn = http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, context=client_context(), timeout=10)
    took = []
    try:
        for i in range(count):
            started = time.monotonic()
            conn.request("GET", f"/app/good/{i}", headers={"Host": "localhost"})
            response = conn.getresponse()
            response.read()
            expect(response.status == 200, f"good request {i}: {response.status}")
            took.append(time.monotonic() - started)
            time.sleep(0.05)
    finally:
        conn.close()
    return took


def closed_by_server_within(sock, seconds):
    """True when the server closes `sock` (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def client_hello_prefix():
    """The first bytes of a real ClientHello (from Python's ssl through memory BIOs)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    expect(len(hello) > 100 and hello[0] == 0x16, "not a ClientHello")
    return hello[: len(hello) // 2]


def handshake_counts():
    """(failed handshakes, handshake time-outs) from /metrics."""
    status, _, body = http_request(gw.port, "GET", "/metrics")
    expect(status == 200, f"/metrics: {status}")
    text = body.decode()
    failed = re.search(r"^tenant_gateway_tls_handshake_failures_total (\d+)$", text, re.M)
    timed_out = re.search(r'^tenant_gateway_client_timeouts_total\{phase="handshake"\} (\d+)$', text, re.M)
    expect(failed and timed_out, "no handshake counters on /metrics")
    return int(failed.group(1)), int(timed_out.group(1))


def test_bad_handshakes_do_not_disturb_a_good_client():
    failed_before, timed_out_before = handshake_counts()
    garbage = socket.create_connection(("127.0.0.1", HTTPS_PORT))
    garbage.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(300))
    half = socket.create_connection(("127.0.0.1", HTTPS_PORT))
    half.sendall(client_hello_prefix())
    silent = socket.create_connection(("127.0.0.1", HTTPS_PORT))
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        good = pool.submit(good_requests, 20)
        # Garbage is refused at once; the half and the silent one wait out the bound.
        expect(closed_by_server_within(garbage, 2.0), "garbage not refused")
        expect(closed_by_server_within(half, HANDSHAKE_TIMEOUT + 2.0), "half handshake not dropped")
        expect(closed_by_server_within(silent, HANDSHAKE_TIMEOUT + 2.0), "silent client not dropped")
        dropped_after = time.monotonic() - started
        took = good.result(timeout=30)
    for s in (garbage, half, silent):
        s.close()
    expect(HANDSHAKE_TIMEOUT * 0.8 <= dropped_after <= HANDSHAKE_TIMEOUT + 2.0, f"dropped after {dropped_after:.2f}s")
    expect(max(took) < 0.5, f"a good request took {max(took):.3f}s beside bad handshakes")
    # Plain HTTP is not disturbed either.
    status, _, _ = http_request(gw.port, "GET", "/app/plain-still-fine")
    expect(status == 200, f"plain status {status}")
    # Three failed handshakes, two of them cut by handshake_timeout; the good ones count nowhere.
    failed, timed_out = handshake_counts()
    expect((failed - failed_before, timed_out - timed_out_before) == (3, 2),
           f"failed {failed_before} -> {failed}, timed out {timed_out_before} -> {timed_out}")


def keep_alive_connection():
    conn = http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, context=client_context(), timeout=10)
    conn.request("GET", "/app/before", headers={"Host": "localhost"})
    response = conn.getresponse()
    response.read()
    expect(response.status == 200, f"status {response.status}")
    return conn


def reload_and_wait(pattern):
    mark = len(gw.output())
    gw.signal(signal.SIGHUP)
    expect(gw.wait_for_line(pattern, timeout=10, start=mark) is not None, f"no log line {pattern!r} after SIGHUP")


def test_sighup_new_certificate_for_new_handshakes_only():
    expect(served_certificate() == der_of(first), "the first certificate is not the one served")
    before = keep_alive_connection()
    expect(before.sock.getpeercert(binary_form=True) == der_of(first), "keep-alive got another certificate")
    install(second)
    reload_and_wait(r"TLS certificate loaded for new handshakes")
    expect(served_certificate() == der_of(second), "a new handshake still sees the old certificate")
    # The connection opened before keeps its session and keeps serving.
    before.request("GET", "/app/after", headers={"Host": "localhost"})
    response = before.getresponse()
    response.read()
    expect(response.status == 200, f"old connection after reload: {response.status}")
    before.close()
    status, _, _ = curl(https_url("/app/after-reload"))
    expect(status == 200, f"curl after reload: {status}")


def test_broken_certificate_on_reload_keeps_the_one_in_use():
    in_use = served_certificate()
    with open(CERT, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    reload_and_wait(r"TLS certificate reload failed")
    expect(served_certificate() == in_use, "a broken certificate replaced the one in use")
    # A key that does not belong to the certificate is refused the same way.
    shutil.copyfile(first.cert, CERT)
    shutil.copyfile(second.key, KEY)
    reload_and_wait(r"TLS certificate reload failed")
    expect(served_certificate() == in_use, "a mismatched key replaced the certificate in use")
    status, _, _ = curl(https_url("/app/still-serving"))
    expect(status == 200, f"after refused reloads: {status}")
    install(second)


def test_key_file_mode_kept_and_no_key_material_logged():
    mode = stat.S_IMODE(os.stat(KEY).st_mode)
    expect(mode == 0o600, f"key file mode is {mode:o}")
    log = "\n".join(gw.output())
    expect("PRIVATE KEY" not in log, "key material in the log")
    with open(second.key) as f:
        body_lines = [line for line in f.read().splitlines() if line and not line.startswith("-----")]
    expect(not any(line in log for line in body_lines), "key bytes in the log")
    expect(gw.proc.poll() is None, "the gateway exited")


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    node.stop()
    tdsd.stop()
    shutil.rmtree(work, ignore_errors=True)
