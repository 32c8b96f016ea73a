"""A whole configuration reload on one running gateway, by SIGHUP and by POST
/admin/config/reload: the pools' size (measured at tdsd, which counts the connections
open at once), the token keys (a previous key's tokens stay valid while it is listed),
an upstream's servers, the route table, the limits and the registry source and
interval (yaml to the TenantRegistry database and back) all take effect; a file that
changes what needs a restart (the listen port) is refused whole and the old
configuration keeps serving; the admin endpoint answers only with admin access."""

import concurrent.futures
import json
import os
import re
import signal
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
import test_e2e_flow as flow  # noqa: E402
from harness import expect, expect_error  # noqa: E402
from test_gateway_auth_rotation import signed_by, KEYS  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Debian's python3 3.11: libxcrypt's crypt(3); deprecated, still there

USER, PASSWORD = "ops@acme.test", "Acme-Ops-2024"
ADMIN_TOKEN = "reload-admin-token-0123456789"
TDSD = {}
UPSTREAMS = {}
KEY_FILES = {}


def tdsd():
    """One tdsd for every test: AcmeDB with one user, queries slowed to 40 ms."""
    if not TDSD:
        hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 4))
        server = flow.acme_tdsd_with_user(USER, hashed)
        expect(server.control("latency AcmeDB 40 0") == "ok", "tdsd latency")
        TDSD["server"] = server
    return TDSD["server"]


def upstream(name):
    if name not in UPSTREAMS:
        UPSTREAMS[name] = proxy_support.start_node_upstream(name)
    return UPSTREAMS[name]


def key_ref(name):
    if name not in KEY_FILES:
        KEY_FILES[name] = harness.write_temp(KEYS[name] + "\n", suffix=".key")
    return "file:" + KEY_FILES[name]


def registry_section(registry_port, refresh):
    """The yaml source (tenants: below), or the TenantRegistry database on tdsd."""
    if registry_port is None:
        return "registry:\n  source: yaml"
    return harness.tds_registry_yaml(registry_port, refresh)


def config(port=0, pool_max=4, key="A", previous=(), web="one", routes=("/api/one",),
           max_body=1048576, budget=268435456, admin=True, registry_port=None, refresh="30s"):
    """The whole file; each argument is one of the things a reload must apply."""
    sql_routes = "".join(
        f'\n  - {{methods: [GET], path: {path}, kind: sql, auth: required, sql: "SELECT 1 AS one", result: one}}'
        for path in routes)
    admin_section = (f"admin: {{enabled: true, access: token, token: {ADMIN_TOKEN}}}" if admin
                     else "admin: {enabled: false}")
    return f"""
listen: {{address: 127.0.0.1, port: {port}, io_threads: 2}}
limits: {{max_body_bytes: {max_body}, max_inflight_response_bytes: {budget}}}
{registry_section(registry_port, refresh)}
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
pools: {{encrypt: false, max_size: {pool_max}, acquire_timeout: 10s}}
health: {{probe_interval: 1h}}
{admin_section}
auth:
  secret_ref: {key_ref(key)}
  previous_secret_refs: [{", ".join(key_ref(name) for name in previous)}]
tenants:
  - {{code: ACME, name: Acme, server: 127.0.0.1, port: {tdsd().port}, database: AcmeDB}}
upstreams:
  - {{name: web, servers: ["http://127.0.0.1:{upstream(web).port}"]}}
routes:
{harness.LOGIN_ROUTE_YAML}
  - {{methods: [POST], path: /api/echo, kind: echo, tenant_required: false}}
  - {{methods: ["*"], path: /web/*, kind: proxy, upstream: web, tenant_required: false}}{sql_routes}
"""


def start(**settings):
    return harness.start_gateway(config(**settings), env={"TDSD_PASSWORD": flow.TENANT_PW,
                                                          "TDSD_REGISTRY_PASSWORD": flow.REGISTRY_PW})


def rewrite(gw, **settings):
    with open(gw.config_path, "w") as f:
        f.write(config(**settings))


def sighup(gw, want="config reloaded", **settings):
    """Rewrites the file and sends SIGHUP; returns the logged outcome."""
    rewrite(gw, **settings)
    mark = len(gw.output())
    gw.signal(signal.SIGHUP)
    match = gw.wait_for_line(r'"msg":"config reload(ed| refused)"', timeout=15, start=mark)
    expect(match and want in match.string, f"want {want!r}: {gw.output()[mark:]}")
    return json.loads(match.string)


def admin_reload(gw, token=ADMIN_TOKEN, **settings):
    """Rewrites the file and asks POST /admin/config/reload; (status, body)."""
    rewrite(gw, **settings)
    headers = {"Authorization": "Bearer " + token} if token else {}
    status, _, body = harness.http_json(gw.port, "POST", "/admin/config/reload", headers=headers)
    return status, body


def login(gw):
    status, _, body = harness.http_json(gw.port, "POST", "/api/auth/login?company=ACME",
                                        {"username": USER, "password": PASSWORD})
    expect(status == 200 and body.get("token"), f"login: {status} {body}")
    return body["token"]


def get(gw, path, token):
    return harness.http_json(gw.port, "GET", path + "?company=ACME",
                             headers={"Authorization": "Bearer " + token})


def answers(gw, path, token):
    status, _, body = get(gw, path, token)
    return status == 200 and body == {"one": 1}


def proxied_by(gw):
    status, _, body = harness.http_json(gw.port, "GET", "/web/who")
    expect(status == 200, f"proxy: {status} {body}")
    return body["server"]


def echo_status(gw, size):
    return harness.http_request(gw.port, "POST", "/api/echo", body=b"x" * size)[0]


def peak_connections(gw, token, n=12):
    """Connections tdsd had open at once during a burst of n slow queries."""
    expect(tdsd().control("reset") == "ok", "tdsd reset")

    def one(_):
        return get(gw, "/api/one", token)[0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        statuses = list(pool.map(one, range(n)))
    expect(statuses == [200] * n, statuses)
    return tdsd().stats()["peak_connections"]


def metric(gw, name, **labels):
    return harness.metric_value(harness.scrape_metrics(gw.port), name, **labels)


def pool_max(gw):
    return metric(gw, "tenant_gateway_pool_max_connections", tenant="ACME")


# ---- SIGHUP ----------------------------------------------------------------------

def test_sighup_applies_every_part_of_the_new_file():
    gw = start(pool_max=4, key="A", web="one", routes=("/api/one", "/api/old"))
    try:
        old_token = login(gw)
        expect(signed_by(old_token, "A"), "signed with A at start")
        expect(answers(gw, "/api/old", old_token), "the route to be removed answers")
        expect(proxied_by(gw) == "one", "upstream one at start")
        expect(echo_status(gw, 2000) == 200, "2000 bytes fit at start")
        peak = peak_connections(gw, old_token)
        expect(2 <= peak <= 4, f"{peak} connections at once with max_size 4")
        expect(pool_max(gw) == 4, "pool max 4 in /metrics")
        expect(metric(gw, "tenant_gateway_response_bytes_budget") == 268435456, "budget at start")

        # everything at once: B signs and A verifies, pools shrink to 1, upstream two,
        # /api/old removed and /api/new added, a 1000-byte body limit, a smaller budget
        sighup(gw, pool_max=1, key="B", previous=["A"], web="two", routes=("/api/one", "/api/new"),
               max_body=1000, budget=33554432)
        expect(answers(gw, "/api/one", old_token), "A's token after A became a previous key")
        new_token = login(gw)
        expect(signed_by(new_token, "B") and not signed_by(new_token, "A"), "new tokens signed with B")
        expect(pool_max(gw) == 1, "the live pool's max is 1 in /metrics")
        flow.wait_for(lambda: tdsd().stats()["connections"] <= 1, 10, "surplus connections to close")
        peak = peak_connections(gw, new_token)
        expect(peak <= 1, f"{peak} connections at once after max_size became 1")
        expect(proxied_by(gw) == "two", "the proxy route reaches upstream two")
        expect(answers(gw, "/api/new", new_token), "the added route answers")
        status, _, body = get(gw, "/api/old", new_token)
        expect_error(status, body, 404, "route_not_found")
        expect(echo_status(gw, 2000) == 413, "the 1000-byte body limit applies")
        expect(metric(gw, "tenant_gateway_response_bytes_budget") == 33554432, "the new budget")

        # a larger pool allows more again
        sighup(gw, pool_max=3, key="B", previous=["A"], web="two", routes=("/api/one", "/api/new"),
               max_body=1000, budget=33554432)
        expect(pool_max(gw) == 3, "pool max 3 in /metrics")
        peak = peak_connections(gw, new_token)
        expect(2 <= peak <= 3, f"{peak} connections at once with max_size 3")

        # A dropped: its tokens are refused at once, B's stay valid
        sighup(gw, pool_max=3, key="B", web="two", routes=("/api/one", "/api/new"), max_body=1000,
               budget=33554432)
        status, _, body = get(gw, "/api/one", old_token)
        expect_error(status, body, 401, "unauthorized")
        expect(answers(gw, "/api/one", new_token), "B's token after A was dropped")
    finally:
        gw.stop()


def test_a_listen_change_is_refused_whole_and_the_old_file_keeps_serving():
    gw = start(pool_max=4, web="one", routes=("/api/one",))
    try:
        token = login(gw)
        moved = proxy_support.free_port()
        logged = sighup(gw, want="config reload refused", port=moved, pool_max=1, web="two",
                        routes=("/api/one", "/api/new"), max_body=1000)
        expect(logged["level"] == "error", logged)
        expect("listen.port" in logged["error"] and "restart" in logged["error"], logged)
        # nothing of the refused file applies
        expect(proxied_by(gw) == "one", "still upstream one")
        status, _, body = get(gw, "/api/new", token)
        expect_error(status, body, 404, "route_not_found")
        expect(echo_status(gw, 2000) == 200, "the old body limit")
        expect(answers(gw, "/api/one", token), "the old routes serve")
        peak_connections(gw, token)
        expect(pool_max(gw) == 4, "the pools keep max_size 4")
        try:
            harness.http_request(moved, "GET", "/livez", timeout=2)
            expect(False, "something listens on the refused port")
        except OSError:
            pass
    finally:
        gw.stop()


def admin_tenants(gw):
    status, _, body = harness.http_json(gw.port, "GET", "/admin/tenants",
                                        headers={"Authorization": "Bearer " + ADMIN_TOKEN})
    expect(status == 200, f"/admin/tenants: {status} {body}")
    return body["registry"]["source"], sorted(t["companyCode"] for t in body["tenants"])


def registry_loads(gw):
    return metric(gw, "tenant_gateway_registry_refreshes_total", result="success")


def test_the_registry_source_and_interval_follow_the_file():
    registry = flow.start_own_server()  # TenantRegistry: DCPSP, DEMO, ACME, ...
    gw = start()
    try:
        expect(admin_tenants(gw) == ("yaml", ["ACME"]), admin_tenants(gw))
        # yaml -> tds: a new registry connection, read at once, then every 200ms
        sighup(gw, registry_port=registry.port, refresh="200ms")
        flow.wait_for(lambda: admin_tenants(gw)[0] == "tds" and "DCPSP" in admin_tenants(gw)[1], 10,
                      "the TenantRegistry's tenants")
        before = registry_loads(gw)
        flow.wait_for(lambda: registry_loads(gw) >= before + 3, 5, "refreshes every 200ms")
        # a longer interval: the loop restarts with it
        sighup(gw, registry_port=registry.port, refresh="1h")
        time.sleep(0.5)  # the reload's own refresh, and one the old loop may have begun
        settled = registry_loads(gw)
        time.sleep(1)  # five of the old 200ms intervals
        expect(registry_loads(gw) == settled, "no refresh within the new 1h interval")
        # tds -> yaml: the tenants: list again
        sighup(gw)
        flow.wait_for(lambda: admin_tenants(gw) == ("yaml", ["ACME"]), 10, "the yaml tenants again")
    finally:
        gw.stop()
        registry.stop()


# ---- POST /admin/config/reload ---------------------------------------------------

def test_the_admin_endpoint_reloads_whole_or_answers_why_not():
    gw = start(web="one", routes=("/api/one",))
    try:
        token = login(gw)
        status, body = admin_reload(gw, web="two", routes=("/api/one", "/api/new"), max_body=1000)
        expect(status == 200 and body.get("reloaded") is True, f"{status} {body}")
        expect(body.get("routes") == 5 and body.get("upstreams") == 1, body)
        expect(gw.wait_for_line('"msg":"config reloaded"', timeout=5), "logged")
        expect(proxied_by(gw) == "two", "upstream two after the admin reload")
        expect(answers(gw, "/api/new", token), "the added route answers")
        expect(echo_status(gw, 2000) == 413, "the new limit")

        # what needs a restart: 422 config_rejected, nothing applied
        status, body = admin_reload(gw, port=proxy_support.free_port(), web="one", routes=("/api/one",))
        expect_error(status, body, 422, "config_rejected")
        expect("listen.port" in body["error"]["message"] and "restart" in body["error"]["message"], body)
        expect(body["error"].get("requestId"), body)
        expect(proxied_by(gw) == "two", "still upstream two")
        expect(answers(gw, "/api/new", token), "the route kept")

        # a file that does not load: 422 with file:line:col
        with open(gw.config_path, "w") as f:
            f.write(config(web="one") + "unknown_section: 1\n")
        status, _, body = harness.http_json(gw.port, "POST", "/admin/config/reload",
                                            headers={"Authorization": "Bearer " + ADMIN_TOKEN})
        expect_error(status, body, 422, "config_rejected")
        expect(re.match(re.escape(gw.config_path) + r":\d+:\d+: ", body["error"]["message"]), body)
        expect(proxied_by(gw) == "two", "still upstream two")

        # an unreadable key: refused, and the message names the reference, not a key
        status, body = admin_reload(gw, key="A", previous=["B"], web="one")
        expect(status == 200, f"{status} {body}")
        os.rename(KEY_FILES["B"], KEY_FILES["B"] + ".away")
        try:
            status, body = admin_reload(gw, key="A", previous=["B"], web="two")
        finally:
            os.rename(KEY_FILES["B"] + ".away", KEY_FILES["B"])
        expect_error(status, body, 422, "config_rejected")
        expect(KEY_FILES["B"] in body["error"]["message"], body)
        expect(not any(key in json.dumps(body) for key in KEYS.values()), f"a key in {body}")
        expect(proxied_by(gw) == "one", "the last accepted file serves")
        leaked = [line for line in gw.output() if any(key in line for key in KEYS.values())]
        expect(not leaked, f"a key in the log: {leaked}")
    finally:
        gw.stop()


def test_the_admin_endpoint_needs_admin_access():
    gw = start(web="one")
    try:
        # no token, a wrong token: refused, and the file is not applied
        status, body = admin_reload(gw, token=None, web="two")
        expect_error(status, body, 401, "unauthorized")
        status, body = admin_reload(gw, token="wrong-token", web="two")
        expect(status in (401, 403) and "error" in body, f"{status} {body}")
        status, _, body = harness.http_json(gw.port, "GET", "/admin/config/reload",
                                            headers={"Authorization": "Bearer " + ADMIN_TOKEN})
        expect_error(status, body, 405, "method_not_allowed")
        expect(proxied_by(gw) == "one", "nothing applied without admin access")

        # admin disabled: the path is no admin endpoint at all
        expect(sighup(gw, web="one", admin=False), "reloaded")
        status, body = admin_reload(gw, web="two", admin=False)
        expect(status == 404, f"{status} {body}")
        expect(proxied_by(gw) == "one", "nothing applied with admin disabled")
    finally:
        gw.stop()


def stop_servers():
    """tdsd and the node upstreams, once every test has run."""
    if TDSD:
        TDSD["server"].stop()
    for server in UPSTREAMS.values():
        server.stop()


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        stop_servers()
