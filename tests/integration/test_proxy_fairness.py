"""One long proxied download must not hold its event loop: other connections on the same
loop are answered while it runs. The upstream sends faster than the gateway relays and
the client (curl) reads as fast as it can, so the relay never has to wait for either side:
the case where a relay that writes each piece at once, without an asynchronous write,
would run from the first byte to the last without giving way."""

import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect  # noqa: E402

TOTAL = 1024 * 1024 * 1024  # 1 GiB: long enough to see a loop held for its duration


# The upstream, in a process of its own: every request gets a TOTAL-byte Content-Length
# body, sent in 4 MiB writes as fast as the socket takes them.
UPSTREAM = r"""
import socket, sys, threading
total = int(sys.argv[1])
block = memoryview(b"f" * (4 << 20))
def answer(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            part = conn.recv(65536)
            if not part:
                return
            data += part
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
        left = total
        try:
            while left > 0:
                n = min(left, len(block))
                conn.sendall(block[:n])
                left -= n
        except OSError:
            pass
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=answer, args=(conn,), daemon=True).start()
"""


def probe_livez(port, stop, latencies):
    """/livez on one kept-alive connection every 10 ms: (sent at, seconds to answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        while not stop.is_set():
            started = time.monotonic()
            s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _ = proxy_support.read_response(s)
            latencies.append((started, time.monotonic() - started, status))
            time.sleep(0.01)


def download(port):
    """GET /app/big with curl (a process of its own, reading as fast as it can); (bytes of
    body, start, end)."""
    started = time.monotonic()
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                          f"http://127.0.0.1:{port}/app/big"], capture_output=True, text=True, timeout=120)
    ended = time.monotonic()
    status, size = out.stdout.split()
    expect(status == "200", f"the download was answered {out.stdout!r} {out.stderr!r}")
    return int(size), started, ended


def slowest_probe_during_a_download(gateway_port):
    """One download beside the prober: the slowest probe sent while it ran, in seconds."""
    stop, latencies = threading.Event(), []
    prober = threading.Thread(target=probe_livez, args=(gateway_port, stop, latencies))
    try:
        prober.start()
        time.sleep(0.3)
        got, started, ended = download(gateway_port)
        time.sleep(0.1)
    finally:
        stop.set()
        prober.join()
    expect(got == TOTAL, f"{got} of {TOTAL} bytes")
    expect(all(status == 200 for _, _, status in latencies), "a probe was not answered 200")
    during = [took for at, took, _ in latencies if started <= at <= ended]
    expect(len(during) >= 3, f"only {len(during)} probes were answered during the download")
    print(f"1 GiB relayed in {ended - started:.2f} s; {len(during)} /livez probes meanwhile, "
          f"slowest {max(during) * 1000:.1f} ms")
    return max(during)


def test_a_long_download_leaves_its_event_loop_to_the_other_connections():
    upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM, str(TOTAL)], stdout=subprocess.PIPE, text=True)
    upstream_port = int(upstream.stdout.readline())
    config = proxy_support.gateway_config(f"""
  - name: app
    servers: [http://127.0.0.1:{upstream_port}]
    read_timeout: 30s
    total_timeout: 60s
""", "  - {methods: [GET], path: /app/*, kind: proxy, upstream: app, strip_prefix: /app, tenant_required: false}\n")
    # One event loop: the probe's connection and the download's are served by the same one.
    config = config.replace("io_threads: 2", "io_threads: 1")
    gateway = harness.start_gateway(config, env=proxy_support.GATEWAY_ENV)
    try:
        # Giving way at each piece, a probe waits for about one piece: 2-5 ms here. A relay
        # that held the loop kept probes waiting 40-180 ms (up to the whole download when
        # the upstream is always ahead). Up to three downloads, so that one slow moment of
        # a busy machine does not fail the test; each held loop measured above 40 ms.
        worst = [slowest_probe_during_a_download(gateway.port)]
        while worst[-1] >= 0.03 and len(worst) < 3:
            worst.append(slowest_probe_during_a_download(gateway.port))
    finally:
        gateway.stop()
        upstream.kill()
        upstream.wait()
    expect(worst[-1] < 0.03, "a /livez probe waited " + ", ".join(f"{w * 1000:.0f}" for w in worst) +
           " ms while each download ran")


harness.run_tests(dict(globals()))
