"""Proxy benchmark: tenant-gateway vs nginx proxy_pass in front of the same upstream
(nginx serving a small static file), same wrk load, in alternating rounds (ABBA) so a
machine busy with other work loads both alike. Prints req/s, p50/p99 latency (medians
of the rounds), CPU seconds per 1000 requests of each proxy's processes and their peak
RSS. Run by `scripts/bench proxy`, and as the proxy and https rows of `scripts/bench
compare`; TG_BUILD_DIR names the build with tenant-gateway. TG_BENCH_DURATION (seconds
per round, default 6) and TG_BENCH_ROUNDS (default 4) shorten or lengthen it.

With --tls (the https row) both proxies terminate HTTPS with the same certificate (EC
P-256, made by tests/tls_material.py) and the same protocol and cipher policy; wrk's
connections are kept alive, so the figure is TLS record cost per request, not handshake
cost. Without options both the plain and the HTTPS comparison run."""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
import proxy_support  # noqa: E402
import tls_material  # noqa: E402

DURATION = int(os.environ.get("TG_BENCH_DURATION", "6").rstrip("s"))
ROUNDS = int(os.environ.get("TG_BENCH_ROUNDS", "4"))
CONNECTIONS = os.environ.get("TG_BENCH_CONNECTIONS", "64")
THREADS = os.environ.get("TG_BENCH_THREADS", "2")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url, pids, seconds):
    before = cpu_seconds(pids)
    out = subprocess.run(["wrk", "-t", THREADS, "-c", CONNECTIONS, "-d", f"{seconds}s", "--latency",
                          url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pids) - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "cpu_per_1000": cpu / requests * 1000 if requests else float("nan"),
        "requests": requests,
        "cpu": cpu,
        "errors": int(errors.group(1)) if errors else 0,
    }


# The gateway's TLS 1.2 policy (gateway/http/tls_identity.cpp), given to nginx as well.
TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                 "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")


def start_nginx_proxy(upstream_port, cert=None):
    directory = tempfile.mkdtemp(prefix="tg-bench-nginx-")
    port = proxy_support.free_port()
    tls = ""
    if cert:
        tls = (f"ssl_certificate {cert.cert}; ssl_certificate_key {cert.key}; "
               f"ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers {TLS12_CIPHERS};")
    conf = os.path.join(directory, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
daemon off;
worker_processes 2;
pid {directory}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
  # Both proxies log every request to a file in batches: nginx here, the gateway by
  # default (its stdout goes to a file below).
  log_format bench '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time';
  access_log {directory}/access.log bench buffer=64k flush=50ms;
  client_body_temp_path {directory}/body;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  keepalive_requests 100000;
  upstream app {{ server 127.0.0.1:{upstream_port}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port}{" ssl" if cert else ""};
    {tls}
    location /app/ {{
      proxy_pass http://app/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
""")
    proc = subprocess.Popen([proxy_support.NGINX, "-e", "stderr", "-p", directory, "-c", conf],
                            stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, port, directory


def peak_rss_mb(pids):
    total_kb = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def summarise(runs, pids):
    requests = sum(r["requests"] for r in runs)
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "cpu_per_1k": sum(r["cpu"] for r in runs) / max(requests, 1) * 1000,
        "rss_mb": peak_rss_mb(pids),
        "errors": sum(r["errors"] for r in runs),
        "requests": requests,
    }


def measure(rounds=ROUNDS, seconds=DURATION, warmup_seconds=2, tls=False):
    """Both proxies in front of one upstream, ABBA rounds; {"gateway": .., "nginx": ..}.
    With `tls` both serve HTTPS with one certificate."""
    root = tempfile.mkdtemp(prefix="tg-bench-static-")
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<html><body>" + "field service " * 40 + "</body></html>\n")
    cert = None
    if tls:
        ca = tls_material.make_ca(root, "Bench CA")
        cert = tls_material.make_server_cert(ca, root, "bench", dns=["localhost"], ips=["127.0.0.1"])
    upstream = proxy_support.Nginx(root)
    nginx, nginx_port, nginx_dir = start_nginx_proxy(upstream.port, cert)
    gateway_tls_port = proxy_support.free_port()
    listen_tls = (f"\n  tls: {{port: {gateway_tls_port}, cert_file: {cert.cert}, key_file: {cert.key}}}"
                  if cert else "")
    config = proxy_support.gateway_config(f"""
  - name: app
    servers: [http://127.0.0.1:{upstream.port}]
    max_idle_per_server: 64
""", """
  - {methods: [GET], path: /app/*, kind: proxy, upstream: app, strip_prefix: /app, tenant_required: false}
""").replace("max_body_bytes: 1048576", "max_body_bytes: 1048576\n  max_client_connections: 10000")
    if cert:
        config = config.replace("listen: {address: 127.0.0.1, port: 0, io_threads: 2}",
                                "listen:\n  address: 127.0.0.1\n  port: 0\n  io_threads: 2" + listen_tls)
    gateway = harness.start_gateway(config, env=proxy_support.GATEWAY_ENV, extra_args=(),
                                    output_path=os.path.join(nginx_dir, "gateway.log"))
    scheme = "https" if cert else "http"
    gateway_port = gateway_tls_port if cert else gateway.port
    try:
        if cert:
            wait_for_port(gateway_port)
        subjects = [("gateway", f"{scheme}://127.0.0.1:{gateway_port}/app/index.html", [gateway.proc.pid]),
                    ("nginx", f"{scheme}://127.0.0.1:{nginx_port}/app/index.html",
                     [nginx.pid] + children(nginx.pid))]
        # Warm both (connections, caches) before measuring.
        for _, url, _ in subjects:
            subprocess.run(["wrk", "-t", "1", "-c", "8", "-d", f"{warmup_seconds}s", url],
                           capture_output=True, check=True)
        runs = {name: [] for name, _, _ in subjects}
        for r in range(rounds):
            for name, url, pids in (subjects if r % 2 == 0 else list(reversed(subjects))):
                runs[name].append(run_wrk(url, pids, seconds))
        return {name: summarise(runs[name], pids) for name, _, pids in subjects}
    finally:
        gateway.stop()
        nginx.terminate()
        nginx.wait()
        upstream.stop()
        shutil.rmtree(nginx_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def wait_for_port(port, timeout=10.0):
    """Waits until something accepts on 127.0.0.1:`port` (the gateway's HTTPS listener
    opens with the plain one; its line comes after the one the harness waits for)."""
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def meets_targets(results):
    g, n = results["gateway"], results["nginx"]
    return g["rps"] / n["rps"] >= 0.9 and g["p99"] / n["p99"] <= 1.25


def report(results, tls):
    what = "HTTPS (same certificate, keep-alive connections)" if tls else "plain HTTP"
    print(f"proxy benchmark, {what}: wrk -t{THREADS} -c{CONNECTIONS}, {ROUNDS} alternating rounds of "
          f"{DURATION}s each, small static file from an nginx upstream")
    print(f"{'proxy':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU s/1000 req':>16}"
          f"{'peak RSS MB':>13}{'non-2xx':>9}")
    for name, r in results.items():
        print(f"{name:<16}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
              f"{r['cpu_per_1k']:>16.4f}{r['rss_mb']:>13.1f}{r['errors']:>9}")
    g, n = results["gateway"], results["nginx"]
    print(f"gateway/nginx: req/s {g['rps'] / n['rps']:.2f}x (target >= 0.90), "
          f"p99 {g['p99'] / n['p99']:.2f}x (target <= 1.25), "
          f"CPU per request {g['cpu_per_1k'] / n['cpu_per_1k']:.2f}x -> "
          f"{'MET' if meets_targets(results) else 'MISSED'}")


def main():
    modes = [True] if "--tls" in sys.argv else [False] if "--plain" in sys.argv else [False, True]
    for tls in modes:
        report(measure(tls=tls), tls)


if __name__ == "__main__":
    main()
