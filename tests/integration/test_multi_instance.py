"""Many instances on one machine (issue 16, item 6): one tdsd holding the TenantRegistry
and nine tenants' databases (plus a spare one), three gateways (`io_threads: 1`,
`cluster: {instances: 3, instance_id: 0|1|2}`) behind a real nginx running the recipe of
deploy/nginx/tenant-gateway.conf (only its addresses, ports and log path replaced), and a
real redis-server counting failed logins for all three.

- The recipe's map takes the tenant key from the subdomain, ?company= and X-Company-Code
  (in that order of precedence); a request without one is balanced round robin.
- Affinity: while all are up, each tenant's requests reach one instance, and its pool
  exists on exactly that instance (/health of each).
- An UPDATE Tenants that stamps UpdatedAt reaches all three (/admin/tenants) within the
  change poll interval, and nginx serves the tenant from its new database.
- Six failed logins spread over the three instances (two each) hit the one shared budget
  of five: the sixth is refused with 429 although no instance saw more than two.
- Failover: SIGTERM of one gateway moves only its tenants (each to one survivor; the
  survivors' tenants stay where they were), and a client sending GETs through nginx all
  along sees only 200s (nginx's proxy_next_upstream retries them).
- The budget: a tenant's connections summed over the instances (their /metrics, sampled
  all along, failover included) never exceed its MaxConnections, nor one instance's its
  share; a tenant sprayed directly at all three, bypassing the affinity, fills exactly
  its MaxConnections and no more; tdsd's own peak of connections during the failover
  stays within the sum of all limits plus the three registry connections."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import proxy_support  # noqa: E402
import test_cluster_budget as budget  # noqa: E402
import test_registry_resilience as resilience  # noqa: E402
from test_shared_login_limit import Redis  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Debian's python3 3.11: libxcrypt's crypt(3); deprecated, still there

INSTANCES = 3
POLL_SECONDS = 0.5
RECIPE = harness.source_path("deploy", "nginx", "tenant-gateway.conf")
BASE_DOMAIN = "yourapp.com"  # the recipe's own example domain: nothing to replace there
AUTH_SECRET = "multi-instance-signing-key-0123456789"
PASSWORD = "Right-Pass-2024"
LOGIN_BUDGET = 5

# Tenants reached through nginx, with their MaxConnections (each at least INSTANCES, so
# every instance has a share) and where their requests name them.
LIMITS = {"DCPSP": 6, "DEMO": 3, "ACME": 4, "TECHSTART": 3, "GLOBALSEC": 5,
          "NORTHWIND": 3, "CONTOSO": 4, "FABRIKAM": 3, "INITECH": 3}
SOURCES = ("subdomain", "query", "header")
SOURCE_OF = {code: SOURCES[i % 3] for i, code in enumerate(LIMITS)}
# Sent straight to all three gateways at once, bypassing nginx: no affinity, full pools.
SPRAYED, SPRAYED_LIMIT = "BYPASS", 4
MOVED = "TECHSTART"  # moved to the spare database by an UPDATE
ALL_LIMITS = dict(LIMITS, **{SPRAYED: SPRAYED_LIMIT})
LOG_RE = re.compile(r'^(\S+) \S+ "([^"]*)" (\d+) tenant="([^"]*)" upstream="([^"]*)" '
                    r'upstream_status="([^"]*)"')


def database_of(code):
    return f"DB_{code}"


def marker(database):
    return f"Customer of {database}"


def start_tdsd():
    """The registry and every tenant database (each with its own marker customer and one
    user with a cheap bcrypt hash) in one tdsd."""
    hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 4))
    expect(hashed and hashed.startswith("$2b$04$"), f"crypt gave {hashed!r}")
    schema = os.path.join(resilience.DEMO_DIR, "fieldservice_schema.sql")
    databases = [database_of(code) for code in ALL_LIMITS] + ["DB_SPARE"]
    db_lines = []
    for name in databases:
        data = harness.write_temp(
            f"INSERT INTO Customers (Name, City) VALUES (N'{marker(name)}', N'Anytown');\nGO\n"
            "INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)\n"
            f"VALUES (N'ops@x', N'Ops', N'{hashed}', N'admin', 1);\nGO\n", suffix=".sql")
        db_lines.append(f"  - name: {name}\n    file: \":memory:\"\n    init: [{schema}, {data}]")
    registry = os.path.join(resilience.DEMO_DIR, "registry.sql")
    config = f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: registry_reader, password: "${{TDSD_REGISTRY_PASSWORD}}", databases: [TenantRegistry]}}
  - {{user: fieldservice_api, password: "${{TDSD_PASSWORD}}", databases: [{', '.join(databases)}]}}
databases:
  - name: TenantRegistry
    file: ":memory:"
    init: [{registry}]
{chr(10).join(db_lines)}
"""
    tdsd = tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": resilience.TENANT_PW,
                                          "TDSD_REGISTRY_PASSWORD": resilience.REGISTRY_PW})
    # registry.sql's rows name production hosts: replace them by this run's tenants
    rows = ",\n".join(
        f"(N'{code}', N'{code} Ltd', N'127.0.0.1', N'{database_of(code)}', 1, {tdsd.port}, 0, {limit})"
        for code, limit in ALL_LIMITS.items())
    resilience.registry_sql(tdsd, "DELETE FROM Tenants")
    resilience.registry_sql(
        tdsd, "INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, IsActive, "
              "Port, Encrypt, MaxConnections) VALUES\n" + rows)
    return tdsd


def gateway_config(tdsd_port, redis_port):
    """One configuration for all three; each reads its instance_id from the environment.
    Health probes run every 500 ms: in a cluster they probe only the pools an instance
    holds, so they neither open pools on the other instances nor keep one open."""
    return f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 1, trusted_proxies: [127.0.0.1/32]}}
cluster:
  instances: {INSTANCES}
  instance_id: ${{TG_TEST_INSTANCE}}
tenant_resolution:
  base_domains: [{BASE_DOMAIN}]
registry:
  source: tds
  server: 127.0.0.1
  port: {tdsd_port}
  database: TenantRegistry
  user: registry_reader
  credential_ref: env:TDSD_REGISTRY_PASSWORD
  refresh_interval: 10m
  change_poll_interval: {int(POLL_SECONDS * 1000)}ms
  retry_base: 200ms
  retry_max: 1s
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
pools:
  encrypt: false
  login_timeout: 5s
  acquire_timeout: 10s
  unused_pool_timeout: 2s
health: {{probe_interval: 500ms}}
admin: {{enabled: true, access: loopback}}
auth:
  secret_ref: env:TG_AUTH_SECRET
  login_limit:
    max_failures: {LOGIN_BUDGET}
    per_address_max_failures: 1000
    window: 5m
    shared: {{redis: "redis://127.0.0.1:{redis_port}/0", key_prefix: "tg-multi:", timeout: 200ms}}
routes:
  - method: GET
    path: /api/customer-names
    kind: sql
    sql: SELECT Name AS name FROM Customers
{harness.LOGIN_ROUTE_YAML}
"""


def start_gateways(tdsd, redis):
    config = gateway_config(tdsd.port, redis.port)
    gateways = []
    try:
        for instance in range(INSTANCES):
            env = {"TDSD_PASSWORD": resilience.TENANT_PW, "TDSD_REGISTRY_PASSWORD": resilience.REGISTRY_PW,
                   "TG_AUTH_SECRET": AUTH_SECRET, "TG_TEST_INSTANCE": str(instance)}
            gateways.append(harness.start_gateway(config, env=env))
    except Exception:
        for gateway in gateways:
            gateway.stop()
        raise
    return gateways


class Nginx:
    """nginx in the foreground (no master process) on its own prefix, running the recipe
    with its listen address, instance lines and access log path replaced."""

    def __init__(self, gateway_ports):
        self.dir = tempfile.mkdtemp(prefix="tg-nginx-multi-")
        self.access_log = os.path.join(self.dir, "access.log")
        self.error_log = os.path.join(self.dir, "error.log")
        self.proc = None
        error = ""
        for _ in range(5):  # a test running beside this one may take the free port first
            self.port = proxy_support.free_port()
            self._write(gateway_ports)
            error = self._start()
            if error is None:
                return
            if "Address already in use" not in error:
                break
        self.stop()
        raise RuntimeError("nginx did not start: " + error)

    def _write(self, gateway_ports):
        with open(RECIPE, encoding="utf-8") as f:
            recipe = f.read()
        servers = re.findall(r"(?m)^    server 10\.0\.0\.\d+:8080 (.*);$", recipe)
        expect(len(servers) == INSTANCES, f"the recipe's upstream lists {len(servers)} instances")
        lines = iter(f"    server 127.0.0.1:{port} {options};" for port, options in zip(gateway_ports, servers))
        recipe = re.sub(r"(?m)^    server 10\.0\.0\.\d+:8080 .*;$", lambda _: next(lines), recipe)
        for old, new in (("    listen 80;\n", f"    listen 127.0.0.1:{self.port};\n"),
                         ("/var/log/nginx/tenant-gateway.access.log", self.access_log)):
            expect(recipe.count(old) == 1, f"the recipe no longer has {old!r}")
            recipe = recipe.replace(old, new)
        with open(os.path.join(self.dir, "tenant-gateway.conf"), "w", encoding="utf-8") as f:
            f.write(recipe)
        with open(os.path.join(self.dir, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write(f"""
master_process off;
worker_processes 1;
error_log {self.error_log} info;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  include {self.dir}/tenant-gateway.conf;
}}
""")

    def _start(self):
        """Starts nginx; None once it answers, else what its error log says."""
        self.proc = subprocess.Popen(
            [proxy_support.NGINX, "-e", self.error_log, "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"),
             "-g", f"daemon off; pid {self.dir}/nginx.pid;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proxy_support.answers_as_nginx("127.0.0.1", self.port):
                return None
            if self.proc.poll() is not None:
                return self.errors()
            time.sleep(0.05)
        return "no answer within 15 s: " + self.errors()

    def errors(self):
        try:
            with open(self.error_log, encoding="utf-8", errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def log(self):
        """(msec, request, status, tenant key, upstream ports in order, upstream statuses) per line."""
        entries = []
        with open(self.access_log, encoding="utf-8") as f:
            for line in f:
                match = LOG_RE.match(line)
                expect(match is not None, f"unexpected access log line {line!r}")
                msec, request, status, key, upstream, statuses = match.groups()
                ports = [int(a.rsplit(":", 1)[1]) for a in upstream.split(", ") if ":" in a]
                entries.append((float(msec), request, int(status), key, ports, statuses))
        return entries

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def tenant_request(port, code, source, timeout=30.0):
    """GET the tenant's customer names through `port`, naming it as `source` does."""
    path, headers = "/api/customer-names", {}
    if source == "subdomain":
        headers["Host"] = f"{code.lower()}.{BASE_DOMAIN}"
    elif source == "query":
        path += f"?company={code}"
    else:
        headers["X-Company-Code"] = code
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data
    finally:
        conn.close()


def names_of(data):
    try:
        return {row["name"] for row in json.loads(data)}
    except (ValueError, TypeError, KeyError):
        return {repr(data[:200])}


class Loop(threading.Thread):
    """Runs `step` until stopped; an exception ends the loop and is kept for the test."""

    def __init__(self, step, pause):
        super().__init__(daemon=True)
        self.step, self.pause = step, pause
        self.halt = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.halt.is_set():
                self.step()
                self.halt.wait(self.pause)
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.halt.set()
        self.join(60)
        expect(not self.is_alive(), "a background loop did not stop")
        if self.error is not None:
            raise self.error


class Client:
    """GETs every nginx tenant in turn through nginx, recording each answer."""

    def __init__(self, nginx_port):
        self.port = nginx_port
        self.results = []  # (time, code, status, names)
        self.lock = threading.Lock()
        self.loop = Loop(self.round, 0.02)
        self.started_wall = time.time()

    def round(self):
        for code in LIMITS:
            status, data = tenant_request(self.port, code, SOURCE_OF[code])
            with self.lock:
                self.results.append((time.monotonic(), code, status, names_of(data) if status == 200 else data))

    def since(self, started):
        with self.lock:
            return [r for r in self.results if r[0] >= started]


class Sampler:
    """Scrapes every live gateway's /metrics all along: per tenant, the largest sum of
    its pooled connections over the instances, and the largest count per instance."""

    def __init__(self, gateways):
        self.gateways = gateways
        self.dead = set()
        self.max_sum = {code: 0 for code in ALL_LIMITS}
        self.max_instance = {}  # (code, instance) -> largest count
        self.samples = 0
        self.loop = Loop(self.sample, 0.1)

    def sample(self):
        sums = {code: 0 for code in ALL_LIMITS}
        for instance, gateway in enumerate(self.gateways):
            if instance in self.dead:
                continue
            try:
                samples = harness.scrape_metrics(gateway.port)
            except (OSError, AssertionError):
                continue  # the instance being stopped (refused, or 503 while it drains)
            for code in ALL_LIMITS:
                count = sum(harness.metric_value(samples, "tenant_gateway_pool_connections",
                                                 tenant=code, state=state) or 0
                            for state in ("idle", "busy", "opening", "resetting"))
                sums[code] += count
                key = (code, instance)
                self.max_instance[key] = max(self.max_instance.get(key, 0), count)
        for code, total in sums.items():
            self.max_sum[code] = max(self.max_sum[code], total)
        self.samples += 1


class Spray:
    """Threads sending SPRAYED's requests straight to each gateway, no affinity at all."""

    def __init__(self, gateways, per_instance=3):
        self.loops = []
        for instance, gateway in enumerate(gateways):
            for _ in range(per_instance):
                self.loops.append(Loop(lambda port=gateway.port, i=instance: self.one(port, i), 0.0))
        self.answers = {}  # instance -> statuses
        self.dead = set()

    def one(self, port, instance):
        if instance in self.dead:
            time.sleep(0.05)
            return
        try:
            status, _ = tenant_request(port, SPRAYED, "query")
        except (OSError, http.client.HTTPException):
            status = "refused"
        self.answers.setdefault(instance, []).append(status)

    def stop(self):
        for loop in self.loops:
            loop.halt.set()
        for loop in self.loops:
            loop.stop()


def pools_by_instance(gateways, alive):
    """{instance: {code: pool size}} of tenants with a live pool holding connections."""
    out = {}
    for instance in alive:
        _, _, health = harness.http_json(gateways[instance].port, "GET", "/health")
        out[instance] = {t["companyCode"]: t["pool"]["size"] for t in health["tenants"] if t["pool"]["size"] > 0}
    return out


def owners(pools, code):
    return {instance for instance, tenants in pools.items() if code in tenants}


def placement_from_log(entries, port_to_instance, since=0.0):
    """{tenant key: set of instances that answered it} from the nginx log lines after `since`."""
    out = {}
    for msec, _, status, key, ports, _ in entries:
        if msec >= since and key and ports and status == 200:
            out.setdefault(key, set()).add(port_to_instance[ports[-1]])
    return out


def key_of(code):
    return code.lower() if SOURCE_OF[code] == "subdomain" else code


class Cluster:
    """Everything the test started, and what it learnt on the way."""

    def __init__(self):
        self.servers = {}  # name -> object with stop(), stopped in reverse order
        self.loops = []
        self.home = {}  # tenant -> the instance nginx sends it to while all are up

    def start(self):
        self.tdsd = self._keep("tdsd", start_tdsd())
        self.redis = self._keep("redis", Redis())
        self.gateways = start_gateways(self.tdsd, self.redis)
        for instance, gateway in enumerate(self.gateways):
            self._keep(f"gateway{instance}", gateway)
        self.port_to_instance = {gateway.port: instance for instance, gateway in enumerate(self.gateways)}
        self.nginx = self._keep("nginx", Nginx([g.port for g in self.gateways]))
        for gateway in self.gateways:
            resilience.wait_for(lambda g=gateway: resilience.status_of(g.port, "/readyz") == 200, 20,
                                "every instance ready")

    def _keep(self, name, server):
        self.servers[name] = server
        return server

    def start_loop(self, loop):
        self.loops.append(loop)
        loop.start()

    def placement(self, since=0.0):
        return placement_from_log(self.nginx.log(), self.port_to_instance, since)

    def stop(self):
        for loop in self.loops:
            loop.halt.set()
        for name in reversed(list(self.servers)):
            self.servers[name].stop()


def check_the_map(cluster):
    """The recipe's map: which key each kind of request hashes on, read from its log."""
    probes = [
        # the subdomain first (nginx lower-cases the host), whatever ?company= says
        ({"Host": f"acme.{BASE_DOMAIN}"}, "/api/customer-names?company=ACME", "acme"),
        # www names no tenant: the header does
        ({"Host": f"www.{BASE_DOMAIN}", "X-Company-Code": "DEMO"}, "/api/customer-names", "DEMO"),
        # ?company= before the header
        ({"X-Company-Code": "demo"}, "/api/customer-names?company=DEMO", "DEMO"),
        ({}, "/api/customer-names?x=1&company=INITECH", "INITECH"),
        # no tenant, no key: round robin
        ({}, "/livez", ""),
    ]
    for headers, path, _ in probes:
        status, _, _ = harness.http_request(cluster.nginx.port, "GET", path, headers=headers)
        expect(status == 200, (headers, path, status))

    # nginx writes a request's line after its answer: wait for the lines
    def logged():
        seen = [(key, request) for _, request, _, key, _, _ in cluster.nginx.log()]
        return all(any(key == want and path in request for key, request in seen) for _, path, want in probes)
    try:
        resilience.wait_for(logged, 10, "the map's keys in the access log")
    except AssertionError:
        raise AssertionError(("keys in the access log", [(k, r) for _, r, _, k, _, _ in cluster.nginx.log()],
                              [(want, path) for _, path, want in probes]))


def check_affinity(cluster, client):
    """While all are up, each tenant's requests reach one instance and its pool lives there
    only, although every instance runs its probes; each /health reports the tenants it
    serves up and the others "elsewhere", none down. Returns {tenant: instance}."""
    everyone = list(range(INSTANCES))
    started = time.monotonic()
    resilience.wait_for(lambda: len({r[1] for r in client.since(started)}) == len(LIMITS), 30,
                        "every tenant answered through nginx")

    def settled():
        placed = cluster.placement(since=time.time() - 2.0)
        pools = pools_by_instance(cluster.gateways, everyone)
        ok = all(len(placed.get(key_of(code), ())) == 1 and owners(pools, code) == placed[key_of(code)]
                 for code in LIMITS)
        return placed if ok else None

    placed = resilience.wait_for(settled, 30, "each tenant's pool on exactly one instance")
    home = {code: next(iter(placed[key_of(code)])) for code in LIMITS}
    # and every request of a tenant so far went to that instance
    so_far = cluster.placement(since=client.started_wall)
    for code in LIMITS:
        expect(so_far[key_of(code)] == {home[code]}, (code, so_far[key_of(code)], home))
    print("tenant homes:", home, flush=True)
    check_each_health_view(cluster.gateways, home)
    return home


def check_each_health_view(gateways, home):
    """An instance's /health: its own tenants probed up, the rest "elsewhere" (connected
    null), none down; the sprayed tenant, not requested yet, elsewhere everywhere."""
    for instance, gateway in enumerate(gateways):
        def view():
            _, _, health = harness.http_json(gateway.port, "GET", "/health")
            return {t["companyCode"]: t for t in health["tenants"]}, health

        def settled():
            tenants, _ = view()
            return all(tenants[code]["status"] == ("up" if home[code] == instance else "elsewhere")
                       for code in LIMITS)

        resilience.wait_for(settled, 10, f"instance {instance}'s probes of its own tenants")
        tenants, health = view()
        for code in LIMITS:
            if home[code] == instance:
                expect(tenants[code]["connected"] is True and tenants[code]["latencyMs"] is not None,
                       tenants[code])
            else:
                expect(tenants[code]["connected"] is None and tenants[code]["pool"]["size"] == 0,
                       tenants[code])
        expect(tenants[SPRAYED]["status"] == "elsewhere", tenants[SPRAYED])
        mine = sum(1 for code in LIMITS if home[code] == instance)
        expect((health["tenantsUp"], health["tenantsDown"]) == (mine, 0), (instance, health["tenantsUp"],
                                                                        health["tenantsDown"]))


def check_an_update_reaches_every_instance(cluster):
    resilience.registry_sql(
        cluster.tdsd, f"UPDATE Tenants SET DatabaseName = N'DB_SPARE', UpdatedAt = SYSUTCDATETIME() "
                      f"WHERE CompanyCode = N'{MOVED}'")
    changed_at = time.monotonic()
    pending = set(range(INSTANCES))
    while pending:
        for instance in list(pending):
            _, _, body = harness.http_json(cluster.gateways[instance].port, "GET", "/admin/tenants")
            row = next(t for t in body["tenants"] if t["companyCode"] == MOVED)
            if row["database"] == "DB_SPARE":
                pending.discard(instance)
        took = time.monotonic() - changed_at
        expect(took < POLL_SECONDS * 4 + 3, f"instances {sorted(pending)} still had the old row after {took:.1f} s")
        time.sleep(0.05)
    print(f"the UPDATE reached all three in {time.monotonic() - changed_at:.2f} s", flush=True)
    resilience.wait_for(
        lambda: marker("DB_SPARE") in names_of(tenant_request(cluster.nginx.port, MOVED, SOURCE_OF[MOVED])[1]),
        5, "nginx to serve the moved tenant from its new database")


def login(port, code, password):
    return harness.http_json(port, "POST", f"/api/auth/login?company={code}",
                             {"username": "ops@x", "password": password})


def check_failed_logins_share_one_budget(cluster):
    """Straight to the instances (nginx would send one tenant's logins to one): two wrong
    passwords on each, six in all, against a budget of five."""
    gateways = cluster.gateways
    for gateway in gateways:
        resilience.wait_for(lambda g=gateway: harness.metric_value(
            harness.scrape_metrics(g.port), "tenant_gateway_login_limiter_shared_up") == 1,
            10, "the shared login limiter connected")
    for attempt in range(LOGIN_BUDGET + 1):
        status, _, body = login(gateways[attempt % INSTANCES].port, SPRAYED, f"wrong-{attempt}")
        if attempt < LOGIN_BUDGET:
            expect_error(status, body, 401, "invalid_credentials")
        else:
            expect_error(status, body, 429, "too_many_attempts")
    for gateway in gateways:  # locked on every instance, right password or not
        status, _, body = login(gateway.port, SPRAYED, PASSWORD)
        expect_error(status, body, 429, "too_many_attempts")
    status, _, body = login(gateways[cluster.home["DCPSP"]].port, "DCPSP", PASSWORD)
    expect(status == 200 and body.get("token"), ("another tenant's account is not locked", status, body))


def check_failover(cluster, client, sampler):
    """SIGTERM of the instance with the most tenants: only its tenants move, each to one
    survivor, and no GET through nginx is lost; the budget holds all along."""
    home, gateways, tdsd = cluster.home, cluster.gateways, cluster.tdsd
    expect(tdsd.control(f"latency {database_of(SPRAYED)} 50 0") == "ok", "latency")
    spray = Spray(gateways)
    for loop in spray.loops:
        cluster.start_loop(loop)
    resilience.wait_for(lambda: sampler.max_sum[SPRAYED] == SPRAYED_LIMIT, 20,
                        "the sprayed tenant's pools to fill on every instance")
    count = {i: sum(1 for code in LIMITS if home[code] == i) for i in range(INSTANCES)}
    victim = max(range(INSTANCES), key=lambda i: count[i])
    expect(count[victim] < len(LIMITS), ("nginx placed every tenant on one instance", home))
    survivors = [i for i in range(INSTANCES) if i != victim]
    moved = [code for code in LIMITS if home[code] == victim]

    expect(tdsd.control("reset") == "ok", "tdsd peak reset")
    killed_wall, killed = time.time(), time.monotonic()
    gateways[victim].signal(signal.SIGTERM)
    expect(gateways[victim].wait(30) == 0, "the stopped instance's exit code")
    sampler.dead.add(victim)
    spray.dead.add(victim)
    resilience.wait_for(
        lambda: all(sum(1 for r in client.since(killed) if r[1] == code and r[2] == 200) >= 5 for code in moved),
        30, "the stopped instance's tenants served again")
    time.sleep(1.0)
    client.loop.stop()
    spray.stop()
    time.sleep(0.3)  # one more sample after the last request
    sampler.loop.stop()

    # no idempotent request lost: every GET through nginx answered 200, from the right database
    failures = [r for r in client.results if r[2] != 200]
    expect(not failures, ("requests through nginx failed", failures[:10]))
    for _, code, _, names in client.results:
        allowed = {marker(database_of(code))} | ({marker("DB_SPARE")} if code == MOVED else set())
        expect(names and names <= allowed, (code, names))
    around = client.since(killed - 0.5)
    expect(len(around) >= 20, f"only {len(around)} requests around the failover")

    # only the stopped instance's tenants moved, each to one survivor, its pool with it
    after = cluster.placement(since=killed_wall + 0.5)
    for code in LIMITS:
        instances = after.get(key_of(code), set())
        if code in moved:
            expect(len(instances) == 1 and victim not in instances, (code, instances))
        else:
            expect(instances == {home[code]}, ("a survivor's tenant moved", code, instances, home[code]))
    pools = pools_by_instance(gateways, survivors)
    for code in LIMITS:
        expect(owners(pools, code) == after[key_of(code)], (code, owners(pools, code), after[key_of(code)]))
    retried = [e for e in cluster.nginx.log() if len(e[4]) > 1]
    print(f"stopped instance {victim} ({', '.join(moved)}): {len(client.results)} GETs through nginx, "
          f"{len(retried)} retried on another instance", flush=True)

    # straight to the instances: the stopped one refused or drained, the others answered
    expect(set(spray.answers[victim]) <= {200, "refused", 503}, set(spray.answers[victim]))
    for instance in survivors:
        expect(set(spray.answers[instance]) == {200}, (instance, set(spray.answers[instance])))
    return victim, survivors


def check_the_budget(cluster, sampler):
    """Sampled all along (the failover too): per tenant, the sum over the instances stays
    within MaxConnections and each instance within its share; tdsd's own peak during the
    failover within the sum of all limits and one registry connection per instance."""
    for code, limit in ALL_LIMITS.items():
        expect(sampler.max_sum[code] <= limit, (code, "over its MaxConnections", sampler.max_sum[code], limit))
    for (code, instance), count in sampler.max_instance.items():
        expect(count <= budget.share(ALL_LIMITS[code], instance, code), (code, instance, count))
    stats = cluster.tdsd.stats()
    ceiling = sum(ALL_LIMITS.values()) + INSTANCES
    expect(stats["peak_connections"] <= ceiling, (stats, ceiling))
    print(f"{sampler.samples} samples; largest sums per tenant {sampler.max_sum}; tdsd peak during "
          f"the failover {stats['peak_connections']} (ceiling {ceiling})", flush=True)


def test_three_instances_behind_the_nginx_recipe():
    cluster = Cluster()
    try:
        cluster.start()
        check_the_map(cluster)
        sampler = Sampler(cluster.gateways)
        cluster.start_loop(sampler.loop)
        client = Client(cluster.nginx.port)
        cluster.start_loop(client.loop)
        cluster.home = check_affinity(cluster, client)
        check_an_update_reaches_every_instance(cluster)
        check_failed_logins_share_one_budget(cluster)
        victim, survivors = check_failover(cluster, client, sampler)
        check_the_budget(cluster, sampler)
        for instance in survivors:
            expect(cluster.gateways[instance].stop() == 0, "exit code after SIGTERM")
    finally:
        cluster.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
