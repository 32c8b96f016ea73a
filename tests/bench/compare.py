"""tenant-gateway against the stack it replaces (tests/bench/peers/node-seed: Node + Express
+ mssql, the architecture document's API server), side by side in one run, over the same
tdsd servers, with the same wrk parameters; the subjects alternate (ABBA) so a machine
busy with other work loads them alike. Every figure in the table is a ratio to a peer.
The single-row and list rows have two more peers: node-seed as a 2-worker `cluster`
(peers/node-cluster) and the Go service a Go team would write (peers/go-service:
net/http, database/sql, go-mssqldb; built here with Debian's Go, offline), each ratio
with its own target, and an open-loop row: every subject at a fixed rate of 50% and 80%
of its own closed-loop req/s (tests/bench/open_loop.cpp), p50/p99/p99.9 from each
request's intended send time. The edge rows put the gateway's own HTTP paths (bare /livez,
the proxy route) against nginx in 12 shapes, and the https row the proxy route over
HTTPS (tests/bench/proxy_bench.py).

Run by scripts/bench (section `compare`); by hand:
    /usr/bin/python3 tests/bench/compare.py [--quick] [--rows single,list,login,edge,https,isolation,tls,many]
Environment: TG_BUILD_DIR (where tenant-gateway and tdsd are built, default build/).

Per run and subject: requests/s and p50/p99 from wrk (-t1, keep-alive, a Lua script that
spreads requests over tenants and paths), CPU seconds per 1000 requests of the serving
process and its children (utime+stime of /proc/PID/stat, every thread; a cluster's
primary and workers), peak RSS (VmHWM summed likewise, reset through /proc/PID/clear_refs
before each row) and tdsd's CPU share (is the backend the ceiling?).
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.path.abspath(os.environ.get("TG_BUILD_DIR", os.path.join(SOURCE_DIR, "build")))
DEMO_DIR = os.path.join(SOURCE_DIR, "conf", "demo")
# TG_BENCH_TDSD: another tdsd binary (A/B runs of tdsd changes)
TDSD_BIN = os.environ.get("TG_BENCH_TDSD", os.path.join(BUILD_DIR, "tests", "tdsd", "tdsd"))
NODE_DIR = os.path.join(SOURCE_DIR, "tests", "bench", "peers", "node-seed")
NODE_CLUSTER_DIR = os.path.join(SOURCE_DIR, "tests", "bench", "peers", "node-cluster")
GO_DIR = os.path.join(SOURCE_DIR, "tests", "bench", "peers", "go-service")
OPEN_LOOP = os.path.join(BUILD_DIR, "tests", "bench", "open_loop")
# Who writes a line per request: the gateway its access log (to /dev/null here, formatted
# and written in batches all the same); the peers log nothing.
LOGS = {"gateway": "access log", "node-seed": "no log", "node-cluster": "no log", "go-service": "no log"}
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests"))
import tls_material  # noqa: E402
TICKS = os.sysconf("SC_CLK_TCK")

TENANT_PW = "bench-tenant-%d" % random.randrange(1 << 30)
REGISTRY_PW = "bench-registry-%d" % random.randrange(1 << 30)
AUTH_SECRET = "bench-signing-key-%032x" % random.randrange(1 << 128)
POOL_MAX = 8  # conf/demo.yaml pools.max_size; registry rows may set MaxConnections

# tenant -> (tdsd server, database, data file)
TENANTS = {
    "DCPSP": ("own", "FieldServiceDB", "dcpsp.sql"),
    "DEMO": ("own", "FieldServiceDB_Demo", "demo.sql"),
    "ACME": ("acme", "FieldServiceDB_ACME", "acme.sql"),
    "TECHSTART": ("techstart", "FieldServiceDB", "techstart.sql"),
    "GLOBALSEC": ("globalsec", "FieldServiceDB", "globalsec.sql"),
}
# bcrypt ($2b$, cost 12) users of the demo data, README of conf/demo
BCRYPT_USERS = [("DCPSP", "admin@dcpsp.com", "Dcpsp-Admin-2024"), ("DEMO", "sales@demo.com", "Demo-Sales-2024"),
                ("ACME", "john@acme.com", "Acme-John-2024"), ("GLOBALSEC", "juergen@globalsec.com",
                                                             "GlobalSec-Juergen-2024")]
LIST_ROWS = 100


def log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- processes ------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree(pid):
    """`pid` and its descendants (a Node cluster's primary and its workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def tree_cpu(pid):
    total = 0.0
    for p in tree(pid):
        try:
            total += cpu_seconds(p)
        except OSError:  # a process that just exited
            pass
    return total


def tree_kb(pid, key):
    return sum(status_kb(p, key) for p in tree(pid))


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def reset_peak(pid):
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass


class Proc:
    def __init__(self, name, argv, env, cwd=None, stdout=None):
        self.name = name
        full = dict(os.environ)
        full.update(env)
        self.out_path = stdout
        out = open(stdout, "w") if stdout else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, env=full, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def wait_line(self, pattern, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.out_path) as f:
                m = re.search(pattern, f.read())
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_http(port, path="/livez", timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


class Tdsd(Proc):
    def __init__(self, tmp, name, logins, databases, cert=None):
        lines = ["listen: {address: 127.0.0.1, port: 0}", "control: {address: 127.0.0.1, port: 0}", "logins:"]
        if cert is not None:  # TLS offered: encrypting clients get it, the others stay plain
            lines.insert(0, f"tls: {{cert_file: {cert.cert}, key_file: {cert.key}, mode: optional}}")
        for user, env, dbs in logins:
            lines.append(f"  - {{user: {user}, password: \"${{{env}}}\", databases: [{', '.join(dbs)}]}}")
        lines.append("databases:")
        for db, files in databases:
            lines.append(f"  - name: {db}\n    file: \":memory:\"\n    init: [{', '.join(files)}]")
        path = os.path.join(tmp, f"tdsd-{name}.yaml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        super().__init__(f"tdsd-{name}", [TDSD_BIN, "--config", path],
                         {"TDSD_PASSWORD": TENANT_PW, "TDSD_REGISTRY_PASSWORD": REGISTRY_PW,
                          "TDSD_EXIT_WITH_PARENT": "1"}, stdout=os.path.join(tmp, f"tdsd-{name}.out"))
        self.control_port = int(self.wait_line(r"control on \S+:(\d+)").group(1))
        self.port = int(self.wait_line(r"listening on \S+:(\d+)").group(1))

    def control(self, command):
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=10) as s:
            s.sendall((command + "\n").encode())
            reply = s.makefile().readline().strip()
        if not reply.startswith("ok"):
            raise RuntimeError(f"tdsd control {command!r}: {reply}")
        return reply


def registry_sql(own, statements):
    import pytds  # Debian's python3-tds (run with /usr/bin/python3)
    with pytds.connect(server="127.0.0.1", port=own.port, user="registry_reader", password=REGISTRY_PW,
                       database="TenantRegistry", autocommit=True) as conn:
        cur = conn.cursor()
        for sql, params in statements:
            cur.execute(sql, params)


# ---- requests -------------------------------------------------------------------------

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(tenant, sub="1"):
    now = int(time.time())
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"iss": "tenant-gateway", "tenant": tenant, "sub": sub, "iat": now,
                           "exp": now + 7200}).encode())
    sig = hmac.new(AUTH_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def lua_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lua(tmp, name, requests):
    """A wrk script cycling through `requests` = [(method, path, headers, body)] from a random start."""
    entries = []
    for method, path, headers, body in requests:
        hdr = ", ".join(f"[{lua_quote(k)}] = {lua_quote(v)}" for k, v in headers.items())
        entries.append(f"  {{{lua_quote(method)}, {lua_quote(path)}, {{{hdr}}}, "
                       f"{lua_quote(body) if body is not None else 'nil'}}},")
    text = f"""-- generated by tests/bench/compare.py
local specs = {{
{chr(10).join(entries)}
}}
local reqs = {{}}
local n = 0
function init(args)
  for i, s in ipairs(specs) do reqs[i] = wrk.format(s[1], s[2], s[3], s[4]) end
  n = math.random(#reqs)
end
function request()
  n = n % #reqs + 1
  return reqs[n]
end
function done(summary, latency, requests)
  io.write(string.format("WRKJSON {{\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, \\"non2xx\\": %d, \\"socket_errors\\": %d}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
    path = os.path.join(tmp, f"{name}.lua")
    with open(path, "w") as f:
        f.write(text)
    return path


def write_raw(tmp, name, requests):
    """The same requests as complete HTTP/1.1 texts, NUL-separated, for open_loop."""
    path = os.path.join(tmp, f"{name}.http")
    with open(path, "wb") as f:
        for method, target, headers, body in requests:
            lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            if body is not None:
                lines.append(f"Content-Length: {len(body.encode())}")
            f.write(("\r\n".join(lines) + "\r\n\r\n" + (body or "")).encode() + b"\0")
    return path


def build_go_service():
    """Builds tests/bench/peers/go-service offline with Debian's Go and go-mssqldb
    (GOPATH mode on /usr/share/gocode; no module proxy); None when Go is missing."""
    if not shutil.which("go"):
        log("go not installed (scripts/setup): the Go service is not measured")
        return None
    out_dir = os.path.join(BUILD_DIR, "tests", "bench")
    os.makedirs(out_dir, exist_ok=True)
    binary = os.path.join(out_dir, "go-service")
    env = dict(os.environ, GOPATH="/usr/share/gocode", GO111MODULE="off", GOFLAGS="", GOPROXY="off",
               GOCACHE=os.path.join(out_dir, "go-cache"))
    subprocess.run(["go", "build", "-o", binary, "."], cwd=GO_DIR, env=env, check=True)
    return binary


def wrk_start(port, script, connections, seconds, timeout="10s"):
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}", "-s", script,
            f"http://127.0.0.1:{port}"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(proc):
    out, _ = proc.communicate()
    m = re.search(r"WRKJSON (\{.*\})", out)
    if not m:
        raise RuntimeError("wrk failed:\n" + out)
    return json.loads(m.group(1))


# ---- measuring ------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        # --quick keeps the whole table under 3 minutes: 2 s rounds, one isolation round,
        # 3 s login runs, 1 s open-loop runs (none for the list), no warm-up before the
        # list (the single-row row warmed every pool), 150 active tenants
        self.seconds = 2 if args.quick else 10
        self.rounds = 2 if args.quick else 3
        self.tmp = tempfile.mkdtemp(prefix="tg-bench-")
        # the CA of the servers' certificates (conf/demo.yaml's pools.ca_file)
        self.db_ca = tls_material.make_ca(self.tmp, "bench CA")
        self.procs = []
        self.rows = []

    # -- set-up --
    def start(self):
        log(f"tdsd servers, bench data in {self.tmp}")
        more = os.path.join(self.tmp, "bench_customers.sql")
        with open(more, "w") as f:
            f.write("-- bench only: customers 4..100, so the list route answers 100 rows\n")
            values = ",\n".join(
                f"    (N'Bench Customer {i:03d}', N'c{i}@bench.example', N'+1-555-{i:04d}', N'Springfield',"
                f" N'United States', '2024-04-{1 + i % 28:02d} 10:00:00')" for i in range(4, LIST_ROWS + 1))
            f.write("INSERT INTO Customers (Name, Email, Phone, City, Country, CreatedAt)\nVALUES\n" + values + ";\nGO\n")
        d = lambda f: os.path.join(DEMO_DIR, f)  # noqa: E731
        schema = d("fieldservice_schema.sql")
        cert = tls_material.make_server_cert(self.db_ca, self.tmp, "tdsd", dns=("localhost",), ips=("127.0.0.1",))
        self.own = Tdsd(self.tmp, "own",
                        [("fieldservice_api", "TDSD_PASSWORD", ["FieldServiceDB", "FieldServiceDB_Demo"]),
                         ("registry_reader", "TDSD_REGISTRY_PASSWORD", ["TenantRegistry"])],
                        [("TenantRegistry", [d("registry.sql")]),
                         ("FieldServiceDB", [schema, d("dcpsp.sql"), more]),
                         ("FieldServiceDB_Demo", [schema, d("demo.sql"), more])], cert)
        self.procs.append(self.own)
        self.servers = {"own": self.own}
        for name, db, data in (("acme", "FieldServiceDB_ACME", "acme.sql"),
                               ("techstart", "FieldServiceDB", "techstart.sql"),
                               ("globalsec", "FieldServiceDB", "globalsec.sql")):
            t = Tdsd(self.tmp, name, [("fieldservice_api", "TDSD_PASSWORD", [db])], [(db, [schema, d(data), more])],
                     cert)
            self.procs.append(t)
            self.servers[name] = t
        registry_sql(self.own, [
            # Encrypt NULL: each gateway's pools.encrypt decides (plain here, TLS in the tls rows)
            ("UPDATE Tenants SET DatabaseServer = %s, Port = %s, Encrypt = NULL WHERE CompanyCode = %s",
             ("127.0.0.1", self.servers[server].port, code)) for code, (server, _, _) in TENANTS.items()] +
            # one pool size for everybody: pools.max_size of conf/demo.yaml (node-seed: POOL_MAX)
            [("UPDATE Tenants SET MaxConnections = NULL", None)])

        log(f"tenant-gateway ({BUILD_DIR}) and node-seed")
        env = {"REGISTRY_PORT": str(self.own.port), "REGISTRY_REFRESH": "30s", "TDSD_PASSWORD": TENANT_PW,
               "TDSD_REGISTRY_PASSWORD": REGISTRY_PW, "TENANT_DB_PASSWORD": TENANT_PW,
               "TG_AUTH_SECRET": AUTH_SECRET, "TG_DB_CA_FILE": self.db_ca.cert}
        with open(os.path.join(SOURCE_DIR, "conf", "demo.yaml")) as f:
            config = f.read()
        # every tdsd is on 127.0.0.1: lift the per-host and total caps (node-seed has none)
        # so 1,000 tenant pools fit; nothing else differs from the demo
        config = config.replace("pools:\n  max_size: 8\n", "pools:\n  max_size: 8\n"
                                "  max_total_connections: 5000\n  max_connections_per_host: 5000\n", 1)
        if "max_connections_per_host: 5000" not in config:
            raise RuntimeError("conf/demo.yaml: pools section not found")
        self.gateway_env, self.gateway_config = env, config
        # the plain rows: tenant connections without TLS, as node-seed's
        self.gateway = self.start_gateway("gateway", config.replace("pools:\n", "pools:\n  encrypt: false\n", 1))
        node_port = free_port()
        self.node = Proc("node-seed", ["node", *os.environ.get("NODE_SEED_NODE_ARGS", "").split(), "server.js"],
                         dict(env, PORT=str(node_port), NODE_ENV="production", REGISTRY_SERVER="127.0.0.1",
                              POOL_MAX=str(POOL_MAX), REGISTRY_TTL_MS="30000"), cwd=NODE_DIR)
        self.node.port = node_port
        self.procs += [self.gateway, self.node]
        wait_http(self.gateway.port, "/livez")
        wait_http(node_port, "/nothing")
        self.subjects = [("gateway", self.gateway), ("node-seed", self.node)]
        self.check_same_answers(self.subjects)
        self.sql_subjects = list(self.subjects) + self.start_more_peers(env)
        self.check_same_answers(self.sql_subjects[2:], with_login=False)

    def start_more_peers(self, env):
        """node-seed as a 2-worker cluster, and the Go service (when Go is installed);
        they serve the single-row and list rows."""
        peers = []
        wanted = [p for p in self.args.sql_peers.split(",") if p]
        if "node-cluster" not in wanted:
            return peers + self.start_go(env, wanted)
        port = free_port()
        cluster = Proc("node-cluster", ["node", "cluster.js"],
                       dict(env, PORT=str(port), NODE_ENV="production", REGISTRY_SERVER="127.0.0.1",
                            POOL_MAX=str(POOL_MAX), REGISTRY_TTL_MS="30000", NODE_WORKERS="2"), cwd=NODE_CLUSTER_DIR)
        cluster.port = port
        self.procs.append(cluster)
        wait_http(port, "/nothing")
        peers.append(("node-cluster", cluster))
        return peers + self.start_go(env, wanted)

    def start_go(self, env, wanted):
        peers = []
        binary = build_go_service() if "go-service" in wanted else None
        if binary:
            port = free_port()
            go = Proc("go-service", [binary], dict(env, PORT=str(port), REGISTRY_SERVER="127.0.0.1",
                                                   POOL_MAX=str(POOL_MAX), REGISTRY_TTL_MS="30000"))
            go.port = port
            self.procs.append(go)
            wait_http(port, "/nothing")
            peers.append(("go-service", go))
        return peers

    def start_gateway(self, name, config):
        config_path = os.path.join(self.tmp, name + ".yaml")
        with open(config_path, "w") as f:
            f.write(config)
        port = free_port()
        gateway = Proc(name, [os.path.join(BUILD_DIR, "gateway", "tenant-gateway"), "--config", config_path],
                       dict(self.gateway_env, GATEWAY_PORT=str(port)))
        gateway.port = port
        return gateway

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def call(self, port, method, path, tok=None, body=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if tok:
            headers["Authorization"] = "Bearer " + tok
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def check_same_answers(self, subjects, with_login=True):
        """The subjects answer the bench requests with 200 and the gateway's rows (the same
        keys in the same order; node-seed's BIGINT ids are strings)."""
        for path in ("/api/customers/2?company=ACME", "/api/customers?company=DEMO"):
            tenant = re.search(r"company=(\w+)", path).group(1)
            status, data = self.call(self.gateway.port, "GET", path, token(tenant))
            want = json.loads(data)
            want = want if isinstance(want, list) else [want]
            if len(want) not in (1, LIST_ROWS):
                raise RuntimeError(f"gateway {path}: {len(want)} rows")
            for name, p in subjects:
                status, data = self.call(p.port, "GET", path, token(tenant))
                if status != 200:
                    raise RuntimeError(f"{name} {path}: {status} {data[:200]!r}")
                rows = json.loads(data)
                rows = rows if isinstance(rows, list) else [rows]
                same = [(list(r), str(r["id"]), r["name"], r["email"]) for r in rows] == \
                    [(list(r), str(r["id"]), r["name"], r["email"]) for r in want]
                if not same:
                    raise RuntimeError(f"{name} and the gateway disagree on {path}: {rows[:2]} vs {want[:2]}")
        if len(want) != LIST_ROWS:
            raise RuntimeError(f"list route answered {len(want)} rows, want {LIST_ROWS}")
        if not with_login:
            return
        tenant, user, password = BCRYPT_USERS[0]
        for name, p in subjects:
            status, data = self.call(p.port, "POST", f"/api/auth/login?company={tenant}", None,
                                     json.dumps({"username": user, "password": password}))
            if status != 200 or "token" not in json.loads(data):
                raise RuntimeError(f"{name} login: {status} {data[:200]!r}")

    # -- one wrk run against one subject --
    def tdsd_cpu(self):
        return sum(cpu_seconds(t.pid) for t in self.servers.values())

    def run(self, proc, script, connections, seconds, profile=None):
        c0, t0, w0 = tree_cpu(proc.pid), self.tdsd_cpu(), time.monotonic()
        load = wrk_start(proc.port, script, connections, seconds)
        if profile:  # where the serving process's CPU goes: perf's cpu-clock samples, call graphs
            # (the subject's whole process tree; with the gateway, tdsd's too, in a file of its own)
            recorders = [(",".join(map(str, tree(proc.pid))), profile)]
            if os.path.basename(profile).startswith("gateway-"):
                recorders.append((",".join(str(t.pid) for t in self.servers.values()),
                                  profile.replace("gateway-", "tdsd-during-gateway-", 1)))
            perfs = [subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-p", pids, "-o", out,
                                       "--", "sleep", str(max(1, seconds - 1))], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for pids, out in recorders]
            for p in perfs:
                p.wait()
        res = wrk_result(load)
        c1, t1, w1 = tree_cpu(proc.pid), self.tdsd_cpu(), time.monotonic()
        res["cpu"] = c1 - c0
        res["tdsd_cpu"] = t1 - t0
        res["wall"] = w1 - w0
        return res

    def compare(self, label, target, script, connections, warmup=True, gate=None, seconds=None, subjects=None,
                peers=None):
        """ABBA rounds of the subjects (default: the gateway and node-seed); one table row
        with all of them and the ratios of the first to the others: to the second with
        `target`/`gate`, or to each subject named in `peers` {name: (target, gate)}."""
        subjects = subjects or self.subjects
        for _, p in subjects:
            if warmup:
                self.run(p, script, connections, 1 if self.quick else 2)
            reset_peak(p.pid)
        runs = {name: [] for name, _ in subjects}
        order = list(subjects)
        for r in range(self.rounds):
            for name, p in (order if r % 2 == 0 else list(reversed(order))):
                profile = None
                if self.args.perf and r == 0:
                    os.makedirs(self.args.perf, exist_ok=True)
                    profile = os.path.join(self.args.perf, re.sub(r"\W+", "-", name + " " + label.split(",")[0]).strip("-")
                                           + ".data")
                runs[name].append(self.run(p, script, connections, seconds or self.seconds, profile))
        summary = {}
        for name, p in subjects:
            rs = runs[name]
            req = sum(x["requests"] for x in rs)
            summary[name] = {
                "rps": req / (sum(x["duration_us"] for x in rs) / 1e6),
                "p50": statistics.median(x["p50_us"] for x in rs) / 1000,
                "p99": statistics.median(x["p99_us"] for x in rs) / 1000,
                "cpu_per_1k": sum(x["cpu"] for x in rs) / max(req, 1) * 1000,
                "rss_mb": tree_kb(p.pid, "VmHWM") / 1024,
                "tdsd_pct": 100 * sum(x["tdsd_cpu"] for x in rs) / sum(x["wall"] for x in rs),
                "errors": sum(x["non2xx"] + x["socket_errors"] for x in rs),
                "requests": req,
            }
        first = subjects[0][0]
        g = summary[first]
        ratios = []
        for name, (peer_target, peer_gate) in (peers or {subjects[1][0]: (target, gate)}).items():
            if name not in summary:
                ratios.append({"peer": name, "target": peer_target, "met": None, "ratio": None})
                continue
            n = summary[name]
            ratio = {k: g[k] / n[k] if n[k] else float("inf") for k in ("rps", "p50", "p99", "cpu_per_1k", "rss_mb")}
            met = peer_gate(ratio) if peer_gate else None
            if g["errors"] or n["errors"]:
                met = False
            ratios.append({"peer": name, "target": peer_target, "met": met, "ratio": ratio})
        verdicts = [r["met"] for r in ratios if r["met"] is not None]
        met = all(verdicts) if verdicts else None
        self.rows.append({"label": label, "target": target, "subjects": summary, "ratio": ratios[0]["ratio"],
                          "ratios": ratios, "met": met, "ratio_label": f"{first} / {ratios[0]['peer']}"})
        log(f"{label}: " + ", ".join(f"{name} {summary[name]['rps']:.0f} req/s" for name in summary))

    # -- the rows --
    # The targets of the SQL rows against each peer (Go: the service a Go team would write).
    NODE_TARGET = (">=3x req/s, <=1/3 p99, <=1/3 CPU/req",
                   lambda r: r["rps"] >= 3 and r["p99"] <= 1 / 3 and r["cpu_per_1k"] <= 1 / 3)
    CLUSTER_TARGET = (">=2x req/s, <=1/3 CPU/req", lambda r: r["rps"] >= 2 and r["cpu_per_1k"] <= 1 / 3)
    GO_SINGLE_TARGET = (">=1.2x req/s, <=0.8x p99, <=0.6x CPU/req",
                        lambda r: r["rps"] >= 1.2 and r["p99"] <= 0.8 and r["cpu_per_1k"] <= 0.6)
    GO_LIST_TARGET = (">=1.5x req/s, <=0.5x CPU/req", lambda r: r["rps"] >= 1.5 and r["cpu_per_1k"] <= 0.5)

    def row_single(self):
        self.sql_row("single-row SQL (customer by id), 64 conns, 5 tenants", "single", self.single_row_requests(),
                     self.GO_SINGLE_TARGET)

    def row_list(self):
        reqs = [("GET", f"/api/customers?company={t}", {"Authorization": "Bearer " + token(t)}, None)
                for t in TENANTS]
        # --quick (time): the list's open-loop runs are left out, and so is its warm-up
        # (every subject's tenant pools were opened by the single-row row just before)
        self.sql_row(f"list route ({LIST_ROWS} rows), 64 conns, 5 tenants", "list", reqs, self.GO_LIST_TARGET,
                     open_loop=not self.quick, warmup=not self.quick)

    def sql_row(self, label, name, reqs, go_target, open_loop=True, warmup=True):
        """A SQL route against node-seed, its cluster and the Go service; then the same
        route open-loop at 50% and 80% of each subject's capacity."""
        peers = {"node-seed": self.NODE_TARGET, "node-cluster": self.CLUSTER_TARGET, "go-service": go_target}
        self.compare(label, "see each peer", write_lua(self.tmp, name, reqs), 64, subjects=self.sql_subjects,
                     peers=peers, warmup=warmup)
        row = self.rows[-1]
        g = row["subjects"]["gateway"]
        gateway_cores, tdsd_cores = g["cpu_per_1k"] / 1000 * g["rps"], g["tdsd_pct"] / 100
        row["tdsd_share"] = tdsd_cores / gateway_cores
        row["lines"] = [f"backend: the tdsd servers used {tdsd_cores:.2f} core during the gateway's runs, the gateway "
                        f"{gateway_cores:.2f}: {row['tdsd_share']:.2f}x (< 0.5x: the backend is not what is measured)"]
        if open_loop and not self.args.no_open_loop:
            self.open_loop_row(label.split(",")[0], write_raw(self.tmp, name, reqs), self.rows[-1]["subjects"])

    def open_loop_row(self, label, requests_file, closed):
        """Each subject at a fixed rate of 50% and 80% of its closed-loop req/s (the row
        just measured), 64 connections: p50/p99/p99.9 from each request's intended send
        time (tests/bench/open_loop.cpp). Loads alternate between subjects."""
        seconds = 1 if self.quick else 8
        results = {}
        order = [(n, p) for n, p in self.sql_subjects if n in closed]
        for load in (0.5, 0.8):
            for name, p in order if load == 0.5 else list(reversed(order)):
                rate = closed[name]["rps"] * load
                out = subprocess.run([OPEN_LOOP, "--port", str(p.port), "--rate", f"{rate:.0f}", "--seconds",
                                      str(seconds), "--connections", "64", "--requests", requests_file],
                                     capture_output=True, text=True, timeout=seconds + 30)
                m = re.search(r"OPENLOOP (\{.*\})", out.stdout)
                if not m:
                    raise RuntimeError(f"open_loop failed against {name}: {out.stderr[-300:]}")
                results[(name, load)] = json.loads(m.group(1))
        lines = []
        for load in (0.5, 0.8):
            for name, _ in order:
                r = results[(name, load)]
                lines.append(f"{name:<13} {load * 100:3.0f}% = {r['rate']:6.0f} req/s: p50 {r['p50_us'] / 1000:7.2f} ms"
                             f"  p99 {r['p99_us'] / 1000:7.2f} ms  p99.9 {r['p999_us'] / 1000:7.2f} ms  "
                             f"({r['completed']} answered, {r['errors'] + r['non2xx']} errors, "
                             f"{r['late_sends']} sent >1 ms late)")
            g = results[("gateway", load)]
            lines.append("  gateway p99 / peer p99 at this load: " + ", ".join(
                f"{name} {g['p99_us'] / results[(name, load)]['p99_us']:.2f}x" for name, _ in order[1:]))
        self.rows.append({"label": f"{label}: open loop at 50% and 80% of each subject's capacity, 64 conns, "
                                   f"{seconds} s", "target": "(no target) reported", "met": None, "lines": lines,
                          "open_loop": {f"{n}@{int(l * 100)}": v for (n, l), v in results.items()}})

    def row_login(self):
        reqs = [("POST", f"/api/auth/login?company={t}", {"Content-Type": "application/json"},
                 json.dumps({"username": u, "password": pw})) for t, u, pw in BCRYPT_USERS]
        self.compare("login (bcrypt cost 12 verify + JWT), 8 conns, 4 tenants",
                     "hash-bound: req/s >= 1x, CPU/req <= 1x", write_lua(self.tmp, "login", reqs), 8,
                     warmup=False, gate=lambda r: r["rps"] >= 0.95 and r["cpu_per_1k"] <= 1.05,
                     seconds=3 if self.quick else max(self.seconds, 8))


    def row_isolation(self, subjects=None, label="slow-tenant isolation"):
        """ACME measured alone, then while TECHSTART (150 ms per query, pool of 4) is flooded."""
        subjects = subjects or self.subjects
        techstart = self.servers["techstart"]
        acme = write_lua(self.tmp, "iso-acme", [
            ("GET", f"/api/customers/{i}?company=ACME", {"Authorization": "Bearer " + token("ACME")}, None)
            for i in range(1, LIST_ROWS + 1)])
        slow = write_lua(self.tmp, "iso-techstart", [
            ("GET", f"/api/customers/{i}?company=TECHSTART", {"Authorization": "Bearer " + token("TECHSTART")}, None)
            for i in range(1, LIST_ROWS + 1)])
        techstart.control("latency FieldServiceDB 150 0")
        results = {name: {"alone": [], "with": [], "slow_rps": [], "slow_err": 0, "err": 0} for name, _ in subjects}
        try:
            for _, p in subjects:
                self.run(p, acme, 16, 1)
            order = list(subjects)
            for r in range(1 if self.quick else self.rounds):
                for name, p in (order if r % 2 == 0 else list(reversed(order))):
                    alone = self.run(p, acme, 16, self.seconds)
                    flood = wrk_start(p.port, slow, 64, self.seconds + 3, timeout="20s")
                    time.sleep(1.5)  # TECHSTART's pool is full and its queue is long
                    with_slow = self.run(p, acme, 16, self.seconds)
                    fr = wrk_result(flood)
                    res = results[name]
                    res["alone"].append(alone["p99_us"] / 1000)
                    res["with"].append(with_slow["p99_us"] / 1000)
                    res["slow_rps"].append(fr["requests"] / (fr["duration_us"] / 1e6))
                    res["slow_err"] += fr["non2xx"] + fr["socket_errors"]
                    res["err"] += alone["non2xx"] + alone["socket_errors"] + with_slow["non2xx"] + with_slow["socket_errors"]
        finally:
            techstart.control("reset")
        lines, growth = [], {}
        for name, res in results.items():
            a, w = statistics.median(res["alone"]), statistics.median(res["with"])
            growth[name] = (w / a - 1) * 100
            lines.append(f"{name:<10} ACME p99 alone {a:7.2f} ms, with TECHSTART flooded {w:7.2f} ms: "
                         f"{growth[name]:+.0f}%  (TECHSTART served {statistics.median(res['slow_rps']):.0f} req/s, "
                         f"{res['slow_err']} errors; ACME errors {res['err']})")
        first = subjects[0][0]
        met = growth[first] < 10 and results[first]["err"] == 0
        self.rows.append({"label": f"{label}: ACME 16 conns while TECHSTART (+150 ms) gets 64 conns",
                          "target": f"{first} ACME p99 growth < 10%", "lines": lines, "met": met})
        log("isolation: " + "; ".join(f"{k} {v:+.0f}%" for k, v in growth.items()))

    def row_many(self):
        """10,000 tenants in the registry, 1,000 active, pools created lazily by the first request."""
        # --quick activates 150 tenants (pool creation dominates its time), the full run 1,000
        total, active, cold_sample = 10000, 150 if self.quick else 1000, 15 if self.quick else 60
        dbs = [("own", "FieldServiceDB"), ("own", "FieldServiceDB_Demo"), ("acme", "FieldServiceDB_ACME"),
               ("globalsec", "FieldServiceDB")]
        codes = [f"MT{i:05d}" for i in range(1, total + 1)]
        statements = []
        for start in range(0, total, 500):
            values = ",".join(
                f"(N'{c}', N'Many Tenants {c}', N'127.0.0.1', N'{dbs[i % len(dbs)][1]}', 1, "
                f"{self.servers[dbs[i % len(dbs)][0]].port}, 0)"
                for i, c in enumerate(codes[start:start + 500], start))
            statements.append(("INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, "
                               "IsActive, Port, Encrypt) VALUES " + values, None))
        log(f"many tenants: {total} registry rows")
        registry_sql(self.own, statements)
        status, data = self.call(self.gateway.port, "POST", "/admin/registry/reload")
        if status != 200:  # a gateway without the admin reload finds new codes on first use
            log(f"registry reload answered {status}; new codes are looked up on first use")
        lines = []
        cold = {}
        per_pool = {}
        rss_before = {}
        for name, p in self.subjects:
            # time to the first answer for a tenant nobody asked for yet
            times = []
            for c in codes[total - cold_sample:]:
                t0 = time.monotonic()
                status, _ = self.call(p.port, "GET", f"/api/customers/1?company={c}", token(c))
                times.append((time.monotonic() - t0) * 1000)
                if status != 200:
                    raise RuntimeError(f"{name} cold tenant {c}: {status}")
            cold[name] = statistics.median(times)
            # RSS per pool: one request each to 1,000 tenants, 16 at a time
            rss0 = status_kb(p.pid, "VmRSS")
            rss_before[name] = rss0
            self.activate(p.port, codes[:active])
            rss1 = status_kb(p.pid, "VmRSS")
            per_pool[name] = (rss1 - rss0) / active
        script = write_lua(self.tmp, "many", [
            ("GET", f"/api/customers/{1 + i % 3}?company={c}", {"Authorization": "Bearer " + token(c)}, None)
            for i, c in enumerate(codes[:active])])
        self.compare(f"many tenants: {total} in the registry, {active} active pools, 64 conns",
                     "(no target) req/s; RSS per pool and cold first request reported", script, 64)
        row = self.rows[-1]
        # node-seed's heap is garbage collected in between, so its figure right after the
        # activation can even be negative; the one after the load runs is steadier
        after = {name: (status_kb(p.pid, "VmRSS") - rss_before[name]) / active for name, p in self.subjects}
        row["lines"] = [
            f"RSS per active pool, right after one request each: gateway {per_pool['gateway']:.1f} KiB, "
            f"node-seed {per_pool['node-seed']:.1f} KiB",
            f"RSS per active pool, after the load runs: gateway {after['gateway']:.1f} KiB, "
            f"node-seed {after['node-seed']:.1f} KiB ({after['gateway'] / after['node-seed']:.2f}x)",
            f"first request of a cold tenant (p50 of {cold_sample}): gateway {cold['gateway']:.1f} ms, "
            f"node-seed {cold['node-seed']:.1f} ms ({cold['gateway'] / cold['node-seed']:.2f}x)"]

    # -- the TLS rows: tenant connections encrypted and verified (tedious: encrypt with the CA) --
    def tls_subjects(self):
        if not hasattr(self, "tls_gateway"):
            log("tenant-gateway and node-seed with encrypted, verified tenant connections")
            self.tls_gateway = self.start_gateway("gateway-tls", self.gateway_config)
            node_port = free_port()
            self.tls_node = Proc("node-seed-tls", ["node", "server.js"],
                                 dict(self.gateway_env, PORT=str(node_port), NODE_ENV="production",
                                      REGISTRY_SERVER="127.0.0.1", POOL_MAX=str(POOL_MAX), REGISTRY_TTL_MS="30000",
                                      DB_CA_FILE=self.db_ca.cert), cwd=NODE_DIR)
            self.tls_node.port = node_port
            self.procs += [self.tls_gateway, self.tls_node]
            wait_http(self.tls_gateway.port, "/livez")
            wait_http(node_port, "/nothing")
            for name, p in (("gateway TLS", self.tls_gateway), ("node-seed TLS", self.tls_node)):
                status, data = self.call(p.port, "GET", "/api/customers/2?company=ACME", token("ACME"))
                if status != 200:
                    raise RuntimeError(f"{name}: {status} {data[:200]!r}")
            _, data = self.call(self.tls_gateway.port, "GET", "/health")
            modes = {t["companyCode"]: t.get("encryption") for t in json.loads(data)["tenants"]}
            if modes.get("ACME") != "verified":
                raise RuntimeError(f"gateway TLS: ACME's connections are {modes.get('ACME')}, not verified")
        return [("gateway TLS", self.tls_gateway), ("node-seed TLS", self.tls_node)]

    def single_row_requests(self):
        reqs = [("GET", f"/api/customers/{i}?company={t}", {"Authorization": "Bearer " + token(t)}, None)
                for i in range(1, LIST_ROWS + 1) for t in TENANTS]
        random.Random(1).shuffle(reqs)
        return reqs

    def single_row_script(self):
        return write_lua(self.tmp, "single", self.single_row_requests())

    def row_tls(self):
        subjects = self.tls_subjects()
        self.compare("single-row SQL over TLS (verified), 64 conns, 5 tenants", ">=3x req/s, <=1/3 CPU/req",
                     self.single_row_script(), 64, subjects=subjects,
                     gate=lambda r: r["rps"] >= 3 and r["cpu_per_1k"] <= 1 / 3)
        self.compare("single-row SQL: the gateway over TLS vs plain, 64 conns, 5 tenants", ">=0.7x req/s",
                     self.single_row_script(), 64, subjects=[subjects[0], ("gateway plain", self.gateway)],
                     gate=lambda r: r["rps"] >= 0.7)
        self.row_isolation(subjects, label="slow-tenant isolation over TLS")
        self.tls_open_cost(subjects[0], ("gateway plain", self.gateway))

    def tls_open_cost(self, *subjects):
        """What TLS costs per connection open, end to end: the first request of tenants nobody
        asked for yet (registry row, pool, connection open with or without the handshake and
        certificate check, the query), median over new tenants on ACME's server."""
        codes = [f"TLSOPEN{i:03d}" for i in range(1, 31)]
        values = ",".join(f"(N'{c}', N'TLS open {c}', N'127.0.0.1', N'FieldServiceDB_ACME', 1, "
                          f"{self.servers['acme'].port})" for c in codes)
        registry_sql(self.own, [("INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, "
                                 "IsActive, Port) VALUES " + values, None)])
        medians = {}
        for name, p in subjects:
            self.call(p.port, "POST", "/admin/registry/reload")
            times = []
            for c in codes:
                t0 = time.monotonic()
                status, data = self.call(p.port, "GET", f"/api/customers/1?company={c}", token(c))
                times.append((time.monotonic() - t0) * 1000)
                if status != 200:
                    raise RuntimeError(f"{name} new tenant {c}: {status} {data[:200]!r}")
            medians[name] = statistics.median(times)
        (tls_name, tls_ms), (plain_name, plain_ms) = medians.items()
        self.rows.append({"label": "connection open: first request of a new tenant (pool + open + query), median of 30",
                          "target": "(no target) reported", "met": None,
                          "lines": [f"{tls_name} {tls_ms:.2f} ms, {plain_name} {plain_ms:.2f} ms: "
                                    f"TLS adds {tls_ms - plain_ms:+.2f} ms per connection open"]})

    def activate(self, port, codes):
        """One request to each tenant, 16 connections in parallel."""
        from concurrent.futures import ThreadPoolExecutor

        def one(c):
            status, _ = self.call(port, "GET", f"/api/customers/1?company={c}", token(c))
            return status
        with ThreadPoolExecutor(16) as ex:
            statuses = list(ex.map(one, codes))
        bad = [s for s in statuses if s != 200]
        if bad:
            raise RuntimeError(f"activating tenants: {len(bad)} failures, e.g. {bad[0]}")


def row_edge(bench, tls=False):
    """The gateway's own HTTP paths against nginx (tests/bench/proxy_bench.py): bare /livez,
    the proxy route to a small and a 64 kB file, 1 and 64 connections, keep-alive and not,
    one table row per shape; with `tls` the proxy route over HTTPS with the same
    certificate (the https row). --quick: a few shapes, one round of 3 s each."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import proxy_bench  # noqa: E402  (its own gateway, nginx and upstream; no tdsd)
    if tls:
        shapes = proxy_bench.TLS_SHAPES
        timing = {"rounds": 2, "seconds": 3} if bench.args.quick else {}
    else:
        shapes = proxy_bench.QUICK_SHAPES if bench.args.quick else proxy_bench.PLAIN_SHAPES
        timing = {"rounds": 1, "seconds": 3} if bench.args.quick else {}
    for shape, results in proxy_bench.measure(shapes, **timing):
        g, n = results["gateway"], results["nginx"]
        ratio = {k: g[k] / n[k] if n[k] else float("inf") for k in ("rps", "p50", "p99", "cpu_per_1k", "rss_mb")}
        what = "https: gateway vs nginx, same certificate" if tls else "edge: gateway vs nginx"
        bench.rows.append({
            "label": f"{what}, {shape.label}", "target": shape.target, "subjects": results, "ratio": ratio,
            "met": proxy_bench.meets_targets(shape, g, n), "peer": "nginx",
            "lines": [f"TCP connections accepted per request: gateway {g['opens_per_request']:.3f}, nginx "
                      f"{n['opens_per_request']:.3f}; access-log lines per request: gateway "
                      f"{g['log_lines_per_request']:.3f}, nginx {n['log_lines_per_request']:.3f}"]})


def format_table(rows):
    out = []
    head = f"{'benchmark / subject':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU s/1k':>9} {'peak RSS MB':>11} {'tdsd CPU':>8}  errors"
    out.append(head)
    out.append("-" * len(head))
    verdict = {True: "MET", False: "MISSED", None: "(no target)"}
    for row in rows:
        out.append(row["label"])
        if "subjects" in row:
            for name, s in row["subjects"].items():
                tdsd = f"{s['tdsd_pct']:>7.0f}%" if "tdsd_pct" in s else f"{'-':>8}"
                shown = f"{name} ({LOGS[name]})" if "ratios" in row and len(row["subjects"]) > 2 and name in LOGS else name
                out.append(f"  {shown:<56} {s['rps']:>9.0f} {s['p50']:>8.2f} {s['p99']:>8.2f} "
                           f"{s['cpu_per_1k']:>9.3f} {s['rss_mb']:>11.1f} {tdsd}  {s['errors']}")
            first = next(iter(row["subjects"]))
            for i, rr in enumerate(row.get("ratios") or [{"ratio": row["ratio"], "peer": row.get("peer", "node-seed")}]):
                r = rr["ratio"]
                ratio_label = row.get("ratio_label", f"{first} / {rr['peer']}") if i == 0 else f"{first} / {rr['peer']}"
                if r is None:
                    out.append(f"  {ratio_label:<56} not measured  (target {rr['target']})")
                    continue
                line = (f"  {ratio_label:<56} {r['rps']:>8.2f}x {r['p50']:>7.2f}x {r['p99']:>7.2f}x "
                        f"{r['cpu_per_1k']:>8.2f}x {r['rss_mb']:>10.2f}x")
                if len(row.get("ratios") or []) > 1:
                    line += f"   target {rr['target']} -> {verdict[rr['met']]}"
                out.append(line)
        for line in row.get("lines", []):
            out.append("  " + line)
        out.append(f"  target: {row['target']}  ->  {verdict[row['met']]}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", default="single,list,login,edge,https,isolation,tls,many")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--no-open-loop", action="store_true", help="leave the open-loop rows out")
    ap.add_argument("--sql-peers", default="node-cluster,go-service",
                    help="peers beside node-seed on the single-row and list rows (empty: none)")
    ap.add_argument("--perf", metavar="DIR", help="perf record each subject's first measured run of each row "
                    "into DIR (and tdsd's during the gateway's)")
    args = ap.parse_args()
    bench = Bench(args)
    try:
        bench.start()
        for row in args.rows.split(","):
            try:
                if row in ("edge", "proxy"):  # proxy: the row's former name
                    row_edge(bench)
                elif row == "https":
                    row_edge(bench, tls=True)
                else:
                    getattr(bench, "row_" + row)()
            except Exception as err:  # report it in the table and go on with the next row
                log(f"row {row} failed: {err!r}")
                bench.rows.append({"label": f"{row}: FAILED ({err})", "target": "-", "met": False})
    finally:
        bench.stop()
    print(format_table(bench.rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(bench.rows, f, indent=1)


if __name__ == "__main__":
    main()
