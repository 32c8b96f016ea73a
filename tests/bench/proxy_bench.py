"""Edge benchmark: the gateway's own HTTP paths against nginx tuned as its users tune it,
in several shapes so that no single set-up flatters either side.

Subjects, both in front of one upstream (nginx serving static files):
- tenant-gateway (`io_threads: 2`), its access log on (stdout, batched, into a file);
- nginx with `worker_processes auto` (one per core), `proxy_pass` to an upstream block
  with `keepalive 32` and `proxy_http_version 1.1`, a buffered access log
  (`buffer=64k flush=50ms`) that gets a line for every request, /livez included.

Paths: `bare` is the gateway's own `/livez` against nginx's `location = /livez { return
200 '{"status":"ok"}'; }` (the same 15-byte JSON body, no upstream; the gateway's headers
add X-Request-Id, Cache-Control and Vary: 257 bytes in all against nginx's 169); `small`
and `64k` are the proxy route to a 587-byte and a 65,536-byte file. Each path is measured with 1 and
64 connections, kept alive or closed after every request (wrk sends `Connection: close`
and then opens a new connection per request; the TCP connections accepted per request
are counted to show it). wrk -t1 for one connection, -t2 otherwise.

Per shape: a short warm-up of each subject, then alternating rounds (A B B A ...) so a
machine busy with other work loads both alike; req/s over all rounds, p50 and p99 the
median of the rounds (wrk's latency excludes the connect), CPU seconds per 1000 requests
of each proxy's processes (nginx: master and workers), non-2xx answers and socket
errors, and the access-log lines each wrote per request. Targets, gateway / nginx:
req/s >= 1.0x, p99 <= 1.0x, CPU per request <= 1.0x and no errors. With `--tls` the
proxy route over HTTPS (64 keep-alive connections, the same certificate and cipher
policy on both sides; TLS record cost per request, not handshakes): >= 0.9x req/s.

    /usr/bin/python3 tests/bench/proxy_bench.py [--plain | --tls] [--shapes bare-c1-close,...]

Run by `scripts/bench proxy` (every plain shape, then --tls) and as the edge and https
rows of `scripts/bench compare`; TG_BUILD_DIR names the build with tenant-gateway.
TG_BENCH_DURATION (seconds per run, default 4) and TG_BENCH_ROUNDS (default 4) shorten or
lengthen it."""

import collections
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

DURATION = int(os.environ.get("TG_BENCH_DURATION", "4").rstrip("s"))
ROUNDS = int(os.environ.get("TG_BENCH_ROUNDS", "4"))
CLK_TCK = os.sysconf("SC_CLK_TCK")

# ---- shapes -------------------------------------------------------------------------------

# path key -> (URL path, what it is)
PATHS = {
    "bare": ("/livez", "bare /livez"),
    "small": ("/app/index.html", "proxy 587 B"),
    "64k": ("/app/64k.bin", "proxy 64 kB"),
}


class Shape(collections.namedtuple("Shape", "path connections keep_alive tls")):
    """One load shape: a path of PATHS, wrk's connections, keep-alive or not, HTTPS or not."""

    @property
    def name(self):
        return (f"{self.path}-c{self.connections}-{'ka' if self.keep_alive else 'close'}"
                + ("-https" if self.tls else ""))

    @property
    def label(self):
        conns = "1 conn" if self.connections == 1 else f"{self.connections} conns"
        return (f"{PATHS[self.path][1]}, {conns}, {'keep-alive' if self.keep_alive else 'close'}"
                + (", HTTPS" if self.tls else ""))

    @property
    def threads(self):
        return 1 if self.connections == 1 else 2

    @property
    def target(self):
        return ">=0.9x nginx req/s" if self.tls else ">=1.0x nginx req/s, <=1.0x p99, <=1.0x CPU/req"


PLAIN_SHAPES = [Shape(p, c, ka, False) for p in PATHS for c in (1, 64) for ka in (True, False)]
TLS_SHAPES = [Shape("small", 64, True, True)]
# compare.py --quick: one of each path, both connection modes
QUICK_SHAPES = [Shape("bare", 64, True, False), Shape("small", 64, True, False),
                Shape("64k", 64, False, False)]
ALL_SHAPES = {s.name: s for s in PLAIN_SHAPES + TLS_SHAPES}


def meets_targets(shape, gateway, nginx):
    if gateway["errors"] or nginx["errors"]:
        return False
    if shape.tls:  # TLS record work is the same library on both sides: throughput only
        return gateway["rps"] / nginx["rps"] >= 0.9
    return (gateway["rps"] / nginx["rps"] >= 1.0 and gateway["p99"] / nginx["p99"] <= 1.0
            and gateway["cpu_per_1k"] / nginx["cpu_per_1k"] <= 1.0)


# ---- what a run costs -----------------------------------------------------------------------

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


def passive_opens():
    """TCP connections accepted so far in this network namespace (/proc/net/snmp): the
    proofs that `Connection: close` made wrk reconnect and that upstream connections are
    reused. Other processes on the machine add a few."""
    with open("/proc/net/snmp") as f:
        tcp = [line.split() for line in f if line.startswith("Tcp:")]
    return int(tcp[1][tcp[0].index("PassiveOpens")])


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(shape, url, seconds):
    argv = ["wrk", "-t", str(shape.threads), "-c", str(shape.connections), "-d", f"{seconds}s",
            "--latency", "--timeout", "5s"]
    if not shape.keep_alive:
        argv += ["-H", "Connection: close"]
    return subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout


def run_wrk(shape, url, pids, seconds):
    before, opens_before = cpu_seconds(pids), passive_opens()
    out = wrk(shape, url, seconds)
    cpu, opens = cpu_seconds(pids) - before, passive_opens() - opens_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "requests": requests,
        "cpu": cpu,
        "opens": opens,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(n) for n in sockets.groups()) if sockets else 0,
    }


def peak_rss_mb(pids):
    total_kb = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def reset_peak_rss(pids):
    for pid in pids:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")


def summarise(runs, pids):
    requests = sum(r["requests"] for r in runs)
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "cpu_per_1k": sum(r["cpu"] for r in runs) / max(requests, 1) * 1000,
        "rss_mb": peak_rss_mb(pids),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "errors": sum(r["non2xx"] + r["socket_errors"] for r in runs),
        "opens_per_request": sum(r["opens"] for r in runs) / max(requests, 1),
        "requests": requests,
    }


# ---- the subjects -----------------------------------------------------------------------------

# The gateway's TLS 1.2 policy (gateway/http/tls_identity.cpp), given to nginx as well.
TLS12_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                 "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
LIVEZ_BODY = '{"status":"ok"}'  # the gateway's /livez answer (gateway/admin/operator_endpoints.cpp)


def nginx_proxy_config(directory, port, tls_port, upstream_port, cert):
    tls = ""
    if cert:
        tls = (f"listen 127.0.0.1:{tls_port} ssl;\n    ssl_certificate {cert.cert}; ssl_certificate_key {cert.key};\n"
               f"    ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers {TLS12_CIPHERS};")
    return f"""
daemon off;
worker_processes auto;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  # Both proxies log every request to a file in batches: nginx here, the gateway by
  # default (its stdout goes to a file).
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
    listen 127.0.0.1:{port};
    {tls}
    location = /livez {{
      default_type application/json;
      return 200 '{LIVEZ_BODY}';
    }}
    location /app/ {{
      proxy_pass http://app/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # a 64 kB answer fits in memory (the default 8 x 4k would spill to a temp file
      # whenever the client reads slower than the upstream answers)
      proxy_buffers 8 16k;
    }}
  }}
}}
"""


def gateway_proxy_config(upstream_port, cert, tls_port):
    config = proxy_support.gateway_config(f"""
  - name: app
    servers: [http://127.0.0.1:{upstream_port}]
    max_idle_per_server: 64
""", """
  - {methods: [GET], path: /app/*, kind: proxy, upstream: app, strip_prefix: /app, tenant_required: false}
""")
    # room for the connection churn of the `close` shapes (TIME_WAIT is the kernel's)
    config = config.replace("max_body_bytes: 1048576", "max_body_bytes: 1048576\n  max_client_connections: 10000")
    if cert:
        config = config.replace(
            "listen: {address: 127.0.0.1, port: 0, io_threads: 2}",
            "listen:\n  address: 127.0.0.1\n  port: 0\n  io_threads: 2\n"
            f"  tls: {{port: {tls_port}, cert_file: {cert.cert}, key_file: {cert.key}}}")
    return config


class LogLines:
    """Counts the lines a process appended to its log since the last count, then empties
    the file so that a long run does not fill the disk. nginx appends (it writes on at the
    new end, 0); the gateway's stdout is not opened for appending: it writes on at its own
    offset, the file turns sparse and counting resumes at that offset."""

    def __init__(self, path, appending):
        self.path, self.appending, self.offset = path, appending, 0

    def count(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        os.truncate(self.path, 0)
        self.offset = 0 if self.appending else self.offset + len(data)
        return data.count(b"\n")


class Stack:
    """The upstream, nginx as a proxy and the gateway; HTTPS listeners too with `tls`."""

    def __init__(self, tls):
        self.root = tempfile.mkdtemp(prefix="tg-bench-static-")
        self.dir = tempfile.mkdtemp(prefix="tg-bench-nginx-")
        self.files = {"/app/index.html": ("<html><body>" + "field service " * 40 + "</body></html>\n").encode(),
                      "/app/64k.bin": bytes(range(256)) * 256}
        for path, data in self.files.items():
            with open(os.path.join(self.root, os.path.basename(path)), "wb") as f:
                f.write(data)
        self.cert = None
        if tls:
            ca = tls_material.make_ca(self.root, "Bench CA")
            self.cert = tls_material.make_server_cert(ca, self.root, "bench", dns=["localhost"], ips=["127.0.0.1"])
        self.upstream = proxy_support.Nginx(self.root)
        self.nginx_port, self.nginx_tls_port = proxy_support.free_port(), proxy_support.free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_proxy_config(self.dir, self.nginx_port, self.nginx_tls_port, self.upstream.port, self.cert))
        self.nginx = subprocess.Popen([proxy_support.NGINX, "-e", f"{self.dir}/error.log", "-p", self.dir, "-c", conf],
                                      stdout=subprocess.DEVNULL)
        self.gateway_tls_port = proxy_support.free_port()
        self.gateway = harness.start_gateway(gateway_proxy_config(self.upstream.port, self.cert, self.gateway_tls_port),
                                             env=proxy_support.GATEWAY_ENV, extra_args=(),
                                             output_path=os.path.join(self.dir, "gateway.log"))
        wait_for_port(self.nginx_port)
        if tls:
            wait_for_port(self.nginx_tls_port)
            wait_for_port(self.gateway_tls_port)
        self.logs = {"gateway": LogLines(os.path.join(self.dir, "gateway.log"), appending=False),
                     "nginx": LogLines(os.path.join(self.dir, "access.log"), appending=True)}

    def pids(self, name):
        if name == "gateway":
            return [self.gateway.proc.pid]
        return [self.nginx.pid] + children(self.nginx.pid)

    def url(self, name, shape):
        port = {("gateway", False): self.gateway.port, ("gateway", True): self.gateway_tls_port,
                ("nginx", False): self.nginx_port, ("nginx", True): self.nginx_tls_port}[(name, shape.tls)]
        return f"{'https' if shape.tls else 'http'}://127.0.0.1:{port}{PATHS[shape.path][0]}"

    def check_answers(self):
        """Both subjects answer every path 200 with the same body."""
        import http.client
        for path, _ in PATHS.values():
            bodies = {}
            for name, port in (("gateway", self.gateway.port), ("nginx", self.nginx_port)):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path)
                res = conn.getresponse()
                bodies[name] = res.read()
                conn.close()
                if res.status != 200:
                    raise RuntimeError(f"{name} answered {path} with {res.status}")
            expected = self.files.get(path, LIVEZ_BODY.encode())
            if bodies["gateway"] != expected or bodies["nginx"] != expected:
                raise RuntimeError(f"{path}: the answers differ ({len(bodies['gateway'])} and "
                                   f"{len(bodies['nginx'])} bytes, {len(expected)} expected)")

    def stop(self):
        self.gateway.stop()
        self.nginx.terminate()
        self.nginx.wait()
        self.upstream.stop()
        with open(os.path.join(self.dir, "error.log")) as f:
            warnings = [line.strip() for line in f if "[warn]" in line or "[error]" in line]
        if warnings:
            print("nginx warned: " + "; ".join(warnings[:5]), file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)


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


# ---- measuring --------------------------------------------------------------------------------

def measure_shape(stack, shape, index, rounds, seconds, warmup_seconds):
    """Warm-up, then ABBA rounds (BAAB for every other shape); {"gateway": .., "nginx": ..}."""
    names = ["gateway", "nginx"] if index % 2 == 0 else ["nginx", "gateway"]
    for log in stack.logs.values():
        log.count()  # forget lines of earlier shapes
    warm_requests = {}
    for name in names:
        out = wrk(shape, stack.url(name, shape), warmup_seconds)
        warm_requests[name] = int(re.search(r"(\d+) requests in", out).group(1))
        reset_peak_rss(stack.pids(name))
    runs = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else list(reversed(names))):
            runs[name].append(run_wrk(shape, stack.url(name, shape), stack.pids(name), seconds))
    time.sleep(0.3)  # both flush their access logs within 50 ms
    results = {}
    for name in ("gateway", "nginx"):
        results[name] = summarise(runs[name], stack.pids(name))
        answered = results[name]["requests"] + warm_requests[name]
        results[name]["log_lines_per_request"] = stack.logs[name].count() / max(answered, 1)
    return results


def measure(shapes, rounds=ROUNDS, seconds=DURATION, warmup_seconds=1):
    """Every shape against one stack; [(shape, {"gateway": .., "nginx": ..})]."""
    stack = Stack(tls=any(s.tls for s in shapes))
    try:
        stack.check_answers()
        out = []
        for i, shape in enumerate(shapes):
            out.append((shape, measure_shape(stack, shape, i, rounds, seconds, warmup_seconds)))
            g, n = out[-1][1]["gateway"], out[-1][1]["nginx"]
            print(f"[edge {time.strftime('%H:%M:%S')}] {shape.name}: gateway {g['rps']:.0f} req/s, "
                  f"nginx {n['rps']:.0f} req/s", file=sys.stderr, flush=True)
        return out
    finally:
        stack.stop()


# ---- report -----------------------------------------------------------------------------------

def ratio(g, n, key):
    return g[key] / n[key] if n[key] else float("inf")


def report(results, rounds=ROUNDS, seconds=DURATION):
    print(f"edge benchmark: tenant-gateway vs nginx, {rounds} alternating rounds of {seconds}s per shape "
          "(wrk -t1 for 1 connection, -t2 otherwise); both log every request to a file")
    head = (f"{'shape':<42}{'gw req/s':>10}{'nginx req/s':>12}{'req/s':>8}{'p99':>7}{'CPU/req':>9}"
            f"{'errors g/n':>12}  verdict")
    print(head)
    print(f"{'':<42}{'':>10}{'':>12}{'>=1.0':>8}{'<=1.0':>7}{'<=1.0':>9}")
    print("-" * len(head))
    for shape, r in results:
        g, n = r["gateway"], r["nginx"]
        errors = f"{g['errors']}/{n['errors']}"
        verdict = "MET" if meets_targets(shape, g, n) else "MISSED"
        if g["errors"] or n["errors"]:
            verdict += " (errors)"
        if shape.tls:
            verdict += "  (target >=0.9x req/s)"
        print(f"{shape.label:<42}{g['rps']:>10.0f}{n['rps']:>12.0f}{ratio(g, n, 'rps'):>7.2f}x"
              f"{ratio(g, n, 'p99'):>6.2f}x{ratio(g, n, 'cpu_per_1k'):>8.2f}x{errors:>12}  {verdict}")
    print()
    print(f"{'shape / subject':<42}{'p50 ms':>8}{'p99 ms':>8}{'CPU s/1k':>10}{'RSS MB':>8}"
          f"{'non-2xx':>8}{'sock err':>9}{'conns/req':>10}{'log/req':>8}")
    for shape, r in results:
        print(shape.label)
        for name, s in r.items():
            print(f"  {name:<40}{s['p50']:>8.3f}{s['p99']:>8.3f}{s['cpu_per_1k']:>10.4f}{s['rss_mb']:>8.1f}"
                  f"{s['non2xx']:>8}{s['socket_errors']:>9}{s['opens_per_request']:>10.3f}"
                  f"{s['log_lines_per_request']:>8.3f}")
    print("conns/req: TCP connections accepted per request in the whole network namespace "
          "(about 1 when closed, 0 when kept alive; upstream connections would add to it); "
          "log/req: access-log lines per answered request")


def main():
    args = sys.argv[1:]
    shapes = PLAIN_SHAPES + TLS_SHAPES
    if "--tls" in args:
        shapes = TLS_SHAPES
    elif "--plain" in args:
        shapes = PLAIN_SHAPES
    if "--shapes" in args:
        names = args[args.index("--shapes") + 1].split(",")
        unknown = [n for n in names if n not in ALL_SHAPES]
        if unknown:
            sys.exit(f"unknown shapes {unknown}; known: {', '.join(ALL_SHAPES)}")
        shapes = [ALL_SHAPES[n] for n in names]
    report(measure(shapes))


if __name__ == "__main__":
    main()
