"""End to end: the gateway on conf/demo.yaml in front of tdsd servers playing the
TenantRegistry and the tenants' databases, over real HTTP and TDS.

Our own server (registry, DCPSP, DEMO) and ACME's server run as separate tdsd
processes; the registry rows of DCPSP, DEMO and ACME are pointed at them with UPDATE
statements (as scripts/demo does), the others keep hosts that do not resolve here."""

import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

TENANT_PW = "tenant-db-pw-e2e"
REGISTRY_PW = "registry-pw-e2e"
AUTH_SECRET = "e2e-signing-key-0123456789-abcdefghij"
_db_ca = []


def db_ca_file():
    """conf/demo.yaml's pools.ca_file: a CA made for this run (these tenants run plain)."""
    if not _db_ca:
        sys.path.insert(0, harness.source_path("tests"))
        import tls_material
        import tempfile
        _db_ca.append(tls_material.make_ca(tempfile.mkdtemp(prefix="tg-e2e-ca-"), "e2e test CA").cert)
    return _db_ca[0]
DEMO_DIR = harness.source_path("conf", "demo")

PASSWORDS = {
    ("DCPSP", "admin@dcpsp.com"): "Dcpsp-Admin-2024",
    ("DCPSP", "mike@dcpsp.com"): "Dcpsp-Mike-2024",
    ("DEMO", "demo@demo.com"): "Demo-Admin-2024",
    ("ACME", "john@acme.com"): "Acme-John-2024",
    ("ACME", "jane@acme.com"): "Acme-Jane-2024",
}


def tdsd_config(logins, databases):
    """A tdsd config with absolute init paths and no latency faults (tests stay quick)."""
    login_lines = "\n".join(
        f"  - {{user: {user}, password: \"${{{env}}}\", databases: [{', '.join(dbs)}]}}"
        for user, env, dbs in logins)
    db_lines = "\n".join(
        f"  - name: {name}\n    file: \":memory:\"\n    init: [{', '.join(os.path.join(DEMO_DIR, f) for f in files)}]"
        for name, files in databases)
    return f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
{login_lines}
databases:
{db_lines}
"""


def acme_tdsd_with_user(username, password_hash):
    """A tdsd serving AcmeDB (the demo schema) with one active user of that hash."""
    users = harness.write_temp(
        "INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)\n"
        f"VALUES (N'{username}', N'Ops', N'{password_hash}', N'admin', 1);\nGO\n", suffix=".sql")
    config = tdsd_config([("fieldservice_api", "TDSD_PASSWORD", ["AcmeDB"])],
                         [("AcmeDB", ["fieldservice_schema.sql", users])])
    return tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": TENANT_PW})


def start_own_server():
    config = tdsd_config(
        [("fieldservice_api", "TDSD_PASSWORD", ["FieldServiceDB", "FieldServiceDB_Demo"]),
         ("registry_reader", "TDSD_REGISTRY_PASSWORD", ["TenantRegistry"])],
        [("TenantRegistry", ["registry.sql"]),
         ("FieldServiceDB", ["fieldservice_schema.sql", "dcpsp.sql"]),
         ("FieldServiceDB_Demo", ["fieldservice_schema.sql", "demo.sql"])])
    return tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": TENANT_PW, "TDSD_REGISTRY_PASSWORD": REGISTRY_PW})


def start_customer_server(database, data_file):
    config = tdsd_config([("fieldservice_api", "TDSD_PASSWORD", [database])],
                         [(database, ["fieldservice_schema.sql", data_file])])
    return tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": TENANT_PW})


# A signed-in part of the web app, in addition to conf/demo.yaml's routes.
PORTAL_ROUTE = """
  - methods: [GET]
    path: /portal/*
    kind: proxy
    upstream: webapp
    auth: required

upstreams:
"""


def demo_config(text, webapp_port):
    """conf/demo.yaml with its web app upstream on `webapp_port` and the /portal/* route."""
    expect("http://127.0.0.1:5173" in text and "\nupstreams:\n" in text, "conf/demo.yaml changed shape")
    text = text.replace("http://127.0.0.1:5173", f"http://127.0.0.1:{webapp_port}")
    # every test logs in from 127.0.0.1: the per-address budget must outlast the whole file
    expect("  token_ttl: 1h\n" in text, "conf/demo.yaml changed shape")
    text = text.replace("  token_ttl: 1h\n", "  token_ttl: 1h\n  login_limit: {per_address_max_failures: 100000}\n", 1)
    return text.replace("\nupstreams:\n", PORTAL_ROUTE, 1)


class Demo:
    """tdsd for our server and ACME's, the registry pointed at them, and the gateway."""

    def __init__(self, refresh="1s", extra_env=None):
        self.own = start_own_server()
        self.acme = start_customer_server("FieldServiceDB_ACME", "acme.sql")
        self.registry_sql(
            "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %d, Encrypt = 0 "
            "WHERE CompanyCode IN (N'DCPSP', N'DEMO')" % self.own.port)
        self.point("ACME", self.acme.port)
        env = {"GATEWAY_PORT": "0", "REGISTRY_PORT": str(self.own.port), "REGISTRY_REFRESH": refresh,
               "TDSD_PASSWORD": TENANT_PW, "TDSD_REGISTRY_PASSWORD": REGISTRY_PW,
               "TENANT_DB_PASSWORD": TENANT_PW, "TG_AUTH_SECRET": AUTH_SECRET,
               "TG_DB_CA_FILE": db_ca_file()}
        env.update(extra_env or {})
        # The web app stand-in: a Node server that echoes what it was sent.
        self.webapp = proxy_support.start_node_upstream("webapp")
        with open(harness.source_path("conf", "demo.yaml")) as f:
            self.gateway = harness.start_gateway(demo_config(f.read(), self.webapp.port), env=env)
        self.port = self.gateway.port

    def registry_sql(self, sql, params=None):
        with self.own.connect(user="registry_reader", password=REGISTRY_PW, database="TenantRegistry") as conn:
            cur = conn.cursor()
            cur.execute(sql, params)

    def point(self, code, port, server="127.0.0.1"):
        self.registry_sql("UPDATE Tenants SET DatabaseServer = %s, Port = %s, Encrypt = 0 "
                          "WHERE CompanyCode = %s", (server, port, code))

    def call(self, method, path, body=None, token=None, headers=None):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = "Bearer " + token
        return harness.http_json(self.port, method, path, body, hdrs)

    def login(self, tenant, user, password=None):
        status, _, body = self.call("POST", f"/api/auth/login?company={tenant}",
                                    {"username": user, "password": password or PASSWORDS[(tenant, user)]})
        expect(status == 200, f"login {tenant}/{user}: {status} {body}")
        return body["token"]

    def stop(self):
        self.gateway.stop()
        self.webapp.stop()
        self.acme.stop()
        self.own.stop()


DEMO = None


def demo():
    global DEMO
    if DEMO is None:
        DEMO = Demo()
    return DEMO


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---- the document's login flow -----------------------------------------------------

def test_login_flow_step_by_step():
    d = demo()
    # 1-3: POST /api/auth/login?company=ACME with username and password
    status, _, body = d.call("POST", "/api/auth/login?company=ACME",
                             {"username": "john@acme.com", "password": "Acme-John-2024"})
    expect(status == 200, f"{status} {body}")
    # 7: the answer came from ACME's database: the user row is ACME's
    expect(body["user"]["username"] == "john@acme.com", body)
    expect(body["user"]["displayName"] == "John Smith", body)
    expect("password_hash" not in body["user"] and "PasswordHash" not in json.dumps(body), body)
    expect(body["expiresAt"].endswith("Z"), body)
    claims = jwt_payload(body["token"])
    expect(claims["tenant"] == "ACME" and claims["iss"] == "tenant-gateway", claims)
    expect(claims["exp"] > claims["iat"], claims)
    # 8: subsequent requests with the token go to ACME's server
    status, _, customers = d.call("GET", "/api/customers", token=body["token"])
    expect(status == 200, f"{status} {customers}")
    expect(customers and all("ACME" in c["name"] for c in customers), customers)
    status, _, me = d.call("GET", "/api/me", token=body["token"])
    expect(status == 200 and me["username"] == "john@acme.com", me)


def test_every_password_scheme_logs_in():
    d = demo()
    for (tenant, user), password in PASSWORDS.items():
        token = d.login(tenant, user, password)
        expect(jwt_payload(token)["tenant"] == tenant, token)


def test_wrong_password_and_unknown_user_look_the_same():
    d = demo()
    wrong = d.call("POST", "/api/auth/login?company=DEMO", {"username": "demo@demo.com", "password": "nope"})
    unknown = d.call("POST", "/api/auth/login?company=DEMO", {"username": "ghost@demo.com", "password": "nope"})
    inactive = d.call("POST", "/api/auth/login?company=ACME",
                      {"username": "former@acme.com", "password": "Acme-Former-2024"})
    for status, _, body in (wrong, unknown, inactive):
        expect_error(status, body, 401, "invalid_credentials")
        expect(body["error"]["message"] == wrong[2]["error"]["message"], body)


def test_repeated_failures_are_throttled():
    d = demo()
    for _ in range(5):
        status, _, body = d.call("POST", "/api/auth/login?company=DCPSP",
                                 {"username": "mike@dcpsp.com", "password": "bad"})
        expect_error(status, body, 401, "invalid_credentials")
    status, headers, body = d.call("POST", "/api/auth/login?company=DCPSP",
                                   {"username": "mike@dcpsp.com", "password": "Dcpsp-Mike-2024"})
    expect_error(status, body, 429, "too_many_attempts")
    expect(int(headers.get("retry-after", "0")) > 0, headers)
    # another user of the same tenant is not affected
    d.login("DCPSP", "admin@dcpsp.com")


def test_each_tenant_gets_its_own_rows():
    d = demo()
    rows = {}
    for tenant, user in (("DCPSP", "admin@dcpsp.com"), ("DEMO", "demo@demo.com"), ("ACME", "john@acme.com")):
        token = d.login(tenant, user)
        status, _, body = d.call("GET", "/api/customers", token=token)
        expect(status == 200, f"{tenant}: {status} {body}")
        rows[tenant] = {c["name"] for c in body}
    expect(rows["DCPSP"].isdisjoint(rows["ACME"]) and rows["DEMO"].isdisjoint(rows["ACME"]), rows)
    expect(any("ACME" in name for name in rows["ACME"]), rows)


def test_subdomain_and_header_name_the_tenant():
    d = demo()
    token = d.login("ACME", "john@acme.com")
    status, _, body = d.call("GET", "/api/customers/1", token=token, headers={"Host": "acme.yourapp.com"})
    expect(status == 200 and "ACME" in body["name"], f"{status} {body}")
    status, _, body = d.call("GET", "/api/customers/1", token=token, headers={"X-Company-Code": "acme"})
    expect(status == 200 and "ACME" in body["name"], f"{status} {body}")
    status, _, body = d.call("POST", "/api/auth/login", {"username": "demo@demo.com", "password": "Demo-Admin-2024"},
                             headers={"Host": "demo.yourapp.com"})
    expect(status == 200 and jwt_payload(body["token"])["tenant"] == "DEMO", f"{status} {body}")


def test_result_modes_and_types():
    d = demo()
    token = d.login("DCPSP", "admin@dcpsp.com")
    status, _, one = d.call("GET", "/api/customers/1", token=token)
    expect(status == 200 and isinstance(one, dict) and one["id"] == 1, one)
    expect(isinstance(one["active"], bool) and "T" in one["createdAt"], one)
    status, _, body = d.call("GET", "/api/customers/999999", token=token)
    expect_error(status, body, 404, "not_found")
    status, _, sites = d.call("GET", "/api/customers/1/sites", token=token)
    expect(status == 200 and sites and isinstance(sites[0]["latitude"], float), sites)
    status, _, page = d.call("GET", "/api/tickets?limit=2&offset=1", token=token)
    expect(status == 200 and len(page) <= 2, page)
    status, _, all_rows = d.call("GET", "/api/tickets?limit=200", token=token)
    if len(all_rows) > 2:
        expect([t["id"] for t in page] == [t["id"] for t in all_rows[1:3]], (page, all_rows))
    status, _, open_only = d.call("GET", "/api/tickets?status=Open", token=token)
    expect(status == 200 and all(t["status"] == "Open" for t in open_only), open_only)


def test_create_and_update_a_ticket_with_injection_strings():
    d = demo()
    token = d.login("DEMO", "demo@demo.com")
    nasty = "Robert'); DROP TABLE Tickets;-- \" OR 1=1 /* Müller 東京 */"
    status, _, created = d.call("POST", "/api/tickets?company=DEMO",
                                {"siteId": 1, "title": nasty, "description": "' OR ''='", "priority": 2},
                                token=token)
    expect(status == 200, f"{status} {created}")
    expect(created["title"] == nasty and created["description"] == "' OR ''='", created)
    expect(created["assignedTo"] == int(jwt_payload(token)["sub"]), created)
    status, _, again = d.call("GET", f"/api/tickets/{created['id']}", token=token)
    expect(status == 200 and again["title"] == nasty, again)
    status, _, updated = d.call("PUT", f"/api/tickets/{created['id']}/status", {"status": "Resolved"}, token=token)
    expect(status == 200 and updated == {"rowsAffected": 1}, updated)
    status, _, again = d.call("GET", f"/api/tickets/{created['id']}", token=token)
    expect(again["status"] == "Resolved", again)
    # injection strings in the query string and the path are plain (invalid) data too
    status, _, body = d.call("GET", "/api/customers?search=%27%20OR%201%3D1--", token=token)
    expect(status == 200 and body == [], body)
    status, _, body = d.call("GET", "/api/customers/1%20OR%201=1", token=token)
    expect_error(status, body, 400, "validation_failed")
    status, _, body = d.call("GET", "/api/tickets?status=Open%27%20OR%20%271%27=%271", token=token)
    expect_error(status, body, 400, "validation_failed")
    # the table is still there
    status, _, body = d.call("GET", "/api/tickets", token=token)
    expect(status == 200 and len(body) > 0, body)


def test_every_validation_error_is_listed():
    d = demo()
    token = d.login("DEMO", "demo@demo.com")
    status, _, body = d.call("POST", "/api/tickets", {"siteId": "one", "title": "x" * 201, "priority": 9},
                             token=token)
    expect_error(status, body, 400, "validation_failed")
    problems = {p["field"]: p["problem"] for p in body["error"]["details"]}
    expect(set(problems) == {"siteId", "title", "priority"}, problems)
    status, _, body = d.call("POST", "/api/tickets", {}, token=token)
    expect_error(status, body, 400, "validation_failed")
    expect({p["field"] for p in body["error"]["details"]} == {"siteId", "title"}, body)
    status, _, body = d.call("GET", "/api/tickets?limit=0&priority=x&offset=-1&status=Nope", token=token)
    expect({p["field"] for p in body["error"]["details"]} == {"limit", "priority", "offset", "status"}, body)
    status, _, body = d.call("PUT", "/api/tickets/1/status", {"status": ["Open"]}, token=token)
    expect_error(status, body, 400, "validation_failed")
    status, _, body = harness.http_json(d.port, "POST", "/api/tickets", b"{not json",
                                        {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    expect_error(status, body, 400, "invalid_json")
    status, _, body = d.call("POST", "/api/auth/login?company=DEMO", {"username": "demo@demo.com"})
    expect_error(status, body, 400, "validation_failed")
    expect(body["error"]["details"] == [{"field": "password", "problem": "is required"}], body)


# ---- tokens -------------------------------------------------------------------------

def forge(claims, secret=AUTH_SECRET, alg="HS256"):
    import hashlib
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    if alg == "none":
        return f"{head}.{body}."
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def test_tokens_are_checked():
    d = demo()
    token = d.login("ACME", "john@acme.com")
    status, _, body = d.call("GET", "/api/customers")
    expect_error(status, body, 401, "unauthorized")
    # a token of ACME used for DEMO: 403
    status, _, body = d.call("GET", "/api/customers?company=DEMO", token=token)
    expect_error(status, body, 403, "tenant_mismatch")
    status, _, body = d.call("GET", "/api/customers", token=token, headers={"Host": "demo.yourapp.com"})
    expect_error(status, body, 403, "tenant_mismatch")
    # tampered payload (tenant switched, signature kept)
    head, payload, sig = token.split(".")
    claims = jwt_payload(token)
    claims["tenant"] = "DEMO"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    status, _, body = d.call("GET", "/api/customers", token=f"{head}.{forged_payload}.{sig}")
    expect_error(status, body, 401, "unauthorized")
    now = int(time.time())
    good = {"iss": "tenant-gateway", "sub": "1", "tenant": "ACME", "iat": now, "exp": now + 600}
    status, _, body = d.call("GET", "/api/customers", token=forge(good))
    expect(status == 200, f"a correctly signed token works: {status} {body}")
    for bad in (forge(dict(good, exp=now - 5)), forge(dict(good, iss="elsewhere")),
                forge(good, secret="another-secret-of-enough-length-000000"), forge(good, alg="none"),
                forge(dict(good, tenant=""))):
        status, _, body = d.call("GET", "/api/customers", token=bad)
        expect_error(status, body, 401, "unauthorized")


def proxied_company(d, path, token=None, headers=None):
    """Status and the X-Company-Code the web app received for a proxied request."""
    status, _, body = d.call("GET", path, token=token, headers=headers)
    if status != 200:
        return status, body
    return status, body["headers"].get("x-company-code")


def test_web_app_requests_carry_the_tokens_tenant():
    d = demo()
    token = d.login("ACME", "john@acme.com")
    expect(proxied_company(d, "/app/dashboard", token) == (200, "ACME"), "tenant from the token")
    expect(proxied_company(d, "/app/dashboard?company=DEMO") == (200, "DEMO"), "tenant from the query")
    expect(proxied_company(d, "/app/dashboard") == (200, None), "no tenant, no header")


def test_auth_required_proxy_routes_check_the_token():
    d = demo()
    token = d.login("ACME", "john@acme.com")
    status, body = proxied_company(d, "/portal/home")
    expect_error(status, body, 401, "unauthorized")
    status, body = proxied_company(d, "/portal/home", token="not.a.token")
    expect_error(status, body, 401, "unauthorized")
    status, body = proxied_company(d, "/portal/home?company=DEMO", token)
    expect_error(status, body, 403, "tenant_mismatch")
    expect(proxied_company(d, "/portal/home", token) == (200, "ACME"), "a valid token passes")
    expect(proxied_company(d, "/portal/home?company=acme", token) == (200, "ACME"),
           "its own tenant named passes")


# ---- the registry, live ---------------------------------------------------------------

def logs_in(d, tenant, user):
    status, _, _ = d.call("POST", f"/api/auth/login?company={tenant}",
                          {"username": user, "password": PASSWORDS[(tenant, user)]})
    return status == 200


def customers_of(d, tenant, token):
    status, _, body = d.call("GET", f"/api/customers?company={tenant}", token=token)
    return status, body


def test_live_move_of_a_tenant():
    d = demo()
    token = d.login("DEMO", "demo@demo.com")
    status, before = customers_of(d, "DEMO", token)
    expect(status == 200, before)
    # DEMO's database moves to a new server (a copy holding ACME's rows, to tell them apart)
    moved = start_customer_server("FieldServiceDB_Demo", "acme.sql")
    try:
        d.point("DEMO", moved.port)
        wait_for(lambda: customers_of(d, "DEMO", token)[1] != before, 15, "DEMO served from the new server")
        status, after = customers_of(d, "DEMO", token)
        expect(status == 200 and any("ACME" in c["name"] for c in after), after)
        expect(moved.stats()["queries"] > 0, moved.stats())
    finally:
        d.point("DEMO", d.own.port)
        wait_for(lambda: customers_of(d, "DEMO", token)[1] == before, 15, "DEMO back on our server")
        moved.stop()


def test_deactivation_and_a_new_tenant_without_restart():
    d = demo()
    token = d.login("DEMO", "demo@demo.com")
    d.registry_sql("UPDATE Tenants SET IsActive = 0 WHERE CompanyCode = N'DEMO'")
    try:
        wait_for(lambda: customers_of(d, "DEMO", token)[0] == 404, 15, "DEMO deactivated")
        status, body = customers_of(d, "DEMO", token)
        expect_error(status, body, 404, "tenant_not_found")
    finally:
        d.registry_sql("UPDATE Tenants SET IsActive = 1 WHERE CompanyCode = N'DEMO'")
    wait_for(lambda: customers_of(d, "DEMO", token)[0] == 200, 15, "DEMO active again")

    # a new row is served at once: the unknown code triggers an on-demand lookup
    d.registry_sql(
        "INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, IsActive, Port, Encrypt) "
        "VALUES (N'NEWCO', N'New Co', N'127.0.0.1', N'FieldServiceDB_Demo', 1, %s, 0)", (d.own.port,))
    status, _, body = d.call("POST", "/api/auth/login?company=NEWCO",
                             {"username": "demo@demo.com", "password": "Demo-Admin-2024"})
    expect(status == 200 and jwt_payload(body["token"])["tenant"] == "NEWCO", f"{status} {body}")
    status, _, body = d.call("GET", "/api/customers?company=NOSUCH", token=body["token"])
    expect(status in (403, 404), body)
    status, _, body = d.call("POST", "/api/auth/login?company=NOSUCH", {"username": "a", "password": "b"})
    expect_error(status, body, 404, "tenant_not_found")


def registry_refreshes(d, result):
    """tenant_gateway_registry_refreshes_total{result=...} from /metrics."""
    count = harness.metric_value(harness.scrape_metrics(d.port),
                                 "tenant_gateway_registry_refreshes_total", result=result)
    expect(count is not None, f"no registry_refreshes_total{{result={result}}} sample")
    return count


def test_registry_down_keeps_the_last_good_copy():
    d = demo()
    token = d.login("ACME", "john@acme.com")
    failures_before = registry_refreshes(d, "failure")
    expect(registry_refreshes(d, "success") >= 1, "the first load is not counted")
    expect(d.own.control("down") == "ok", "registry down")
    try:
        time.sleep(2.5)  # a few refresh intervals fail meanwhile
        expect(registry_refreshes(d, "failure") > failures_before, "failed refreshes not counted")
        status, body = customers_of(d, "ACME", token)
        expect(status == 200 and body, f"ACME still served from the last good copy: {status} {body}")
        expect(any("refresh failed" in line for line in d.gateway.output()), "refresh failure logged")
        status, _, body = d.call("POST", "/api/auth/login?company=UNKNOWNCO", {"username": "a", "password": "b"})
        expect_error(status, body, 503, "registry_unavailable")
    finally:
        expect(d.own.control("up") == "ok", "registry up")
        # "down" also closed the pooled connections to our server: the first request on
        # each may find its connection broken (502 connection_lost) before a fresh one
        for tenant, user in (("DCPSP", "admin@dcpsp.com"), ("DEMO", "demo@demo.com")):
            wait_for(lambda: logs_in(d, tenant, user), 15, f"{tenant} served again")


def test_missing_secret_makes_only_that_tenant_unavailable():
    d = demo()
    d.registry_sql("UPDATE Tenants SET CredentialRef = N'env:NO_SUCH_SECRET_E2E' WHERE CompanyCode = N'ACME'")
    try:
        # polled with throwaway accounts: until the change is seen these are failed logins,
        # and john@acme.com's own budget must stay whole for the check at the end
        probes = iter(range(10**6))
        wait_for(lambda: d.call("POST", "/api/auth/login?company=ACME",
                                {"username": f"probe{next(probes)}@acme.com", "password": "x"})[0] == 503,
                 15, "ACME unavailable")
        status, headers, body = d.call("POST", "/api/auth/login?company=ACME",
                                       {"username": "john@acme.com", "password": "x"})
        expect_error(status, body, 503, "tenant_credentials_unavailable")
        expect("retry-after" in headers, headers)
        expect("NO_SUCH_SECRET" not in json.dumps(body), body)
        d.login("DCPSP", "admin@dcpsp.com")  # the others keep working
        expect(not any(TENANT_PW in line or REGISTRY_PW in line or AUTH_SECRET in line
                       for line in d.gateway.output()), "a secret reached the log")
    finally:
        d.registry_sql("UPDATE Tenants SET CredentialRef = N'env:TENANT_DB_PASSWORD' WHERE CompanyCode = N'ACME'")
    wait_for(lambda: d.call("POST", "/api/auth/login?company=ACME",
                            {"username": "john@acme.com", "password": "Acme-John-2024"})[0] == 200,
             15, "ACME back")


def test_admin_tenants_table_and_reload():
    d = demo()
    status, _, body = d.call("GET", "/admin/tenants")
    expect(status == 200, f"{status} {body}")
    rows = {t["companyCode"]: t for t in body["tenants"]}
    expect({"DCPSP", "DEMO", "ACME", "TECHSTART", "GLOBALSEC"} <= set(rows), rows)
    expect(rows["TECHSTART"]["hosting"] == "Customer Hosted (On-Prem)", rows["TECHSTART"])
    expect(rows["GLOBALSEC"]["hosting"] == "Customer Hosted (AWS)", rows["GLOBALSEC"])
    expect(rows["DCPSP"]["hosting"] == "Your Server" and rows["DCPSP"]["active"] is True, rows["DCPSP"])
    expect(rows["ACME"]["encryption"] == "not_required", rows["ACME"])  # Encrypt = 0: plain TDS
    expect(set(rows["ACME"]) == {"companyCode", "companyName", "server", "port", "database", "hosting", "active",
                                  "encryption", "problem"},
           rows["ACME"])
    text = json.dumps(body)
    expect("TENANT_DB_PASSWORD" not in text and "fieldservice_api" not in text and TENANT_PW not in text, text)

    d.registry_sql("UPDATE Tenants SET CompanyName = N'TechStart Renamed' WHERE CompanyCode = N'TECHSTART'")
    status, _, body = d.call("POST", "/admin/registry/reload")
    expect(status == 200 and body["reloaded"] is True and body["tenants"] >= 5, f"{status} {body}")
    status, _, body = d.call("GET", "/admin/tenants")
    expect(any(t["companyName"] == "TechStart Renamed" for t in body["tenants"]), body)
    status, _, body = d.call("DELETE", "/admin/tenants")
    expect_error(status, body, 405, "method_not_allowed")

    expect(d.own.control("down") == "ok", "registry down")
    try:
        status, _, body = d.call("POST", "/admin/registry/reload")
        expect_error(status, body, 503, "registry_unavailable")
        status, _, body = d.call("GET", "/admin/tenants")
        expect(status == 200 and body["registry"]["stale"] is True, body)
    finally:
        expect(d.own.control("up") == "ok", "registry up")
        for tenant, user in (("DCPSP", "admin@dcpsp.com"), ("DEMO", "demo@demo.com")):
            wait_for(lambda: logs_in(d, tenant, user), 15, f"{tenant} served again")


def test_sighup_and_admin_reload_apply_registry_changes_at_once():
    import signal
    d = demo()
    env = {"GATEWAY_PORT": "0", "REGISTRY_PORT": str(d.own.port), "REGISTRY_REFRESH": "1h",
           "TDSD_PASSWORD": TENANT_PW, "TDSD_REGISTRY_PASSWORD": REGISTRY_PW,
           "TENANT_DB_PASSWORD": TENANT_PW, "TG_AUTH_SECRET": AUTH_SECRET,
               "TG_DB_CA_FILE": db_ca_file()}
    with open(harness.source_path("conf", "demo.yaml")) as f:
        slow = harness.start_gateway(f.read(), env=env)  # never refreshes by itself
    moved = start_customer_server("FieldServiceDB_Demo", "acme.sql")
    try:
        def demo_names():
            status, _, body = harness.http_json(slow.port, "GET", "/api/customers?company=DEMO", None,
                                                {"Authorization": "Bearer " + token})
            expect(status == 200, f"{status} {body}")
            return sorted(c["name"] for c in body)
        token = d.login("DEMO", "demo@demo.com")
        before = demo_names()
        d.point("DEMO", moved.port)
        expect(demo_names() == before, "no refresh without a trigger")
        slow.signal(signal.SIGHUP)
        wait_for(lambda: demo_names() != before, 15, "SIGHUP re-read the registry")
        expect(any("ACME" in name for name in demo_names()), "served by the new server")
        d.point("DEMO", d.own.port)
        status, _, body = harness.http_json(slow.port, "POST", "/admin/registry/reload")
        expect(status == 200 and body["reloaded"], f"{status} {body}")
        expect(demo_names() == before, "the reload applied before its answer")
    finally:
        d.point("DEMO", d.own.port)
        expect(slow.stop() == 0, "exit code after SIGTERM")
        moved.stop()


def test_an_unreachable_registry_at_start_up_is_not_fatal():
    # More in test_registry_resilience.py: readiness once it returns, the snapshot file.
    env = {"GATEWAY_PORT": "0", "REGISTRY_PORT": str(free_port()), "REGISTRY_REFRESH": "1s",
           "TDSD_PASSWORD": TENANT_PW, "TDSD_REGISTRY_PASSWORD": REGISTRY_PW, "TG_AUTH_SECRET": AUTH_SECRET,
               "TG_DB_CA_FILE": db_ca_file()}
    with open(harness.source_path("conf", "demo.yaml")) as f:
        gateway = harness.start_gateway(f.read(), env=env)
    try:
        expect(harness.http_request(gateway.port, "GET", "/livez")[0] == 200, "/livez")
        status, _, body = harness.http_json(gateway.port, "GET", "/readyz")
        expect_error(status, body, 503, "not_ready")
        expect(REGISTRY_PW not in "\n".join(gateway.output()), "the registry secret reached the output")
    finally:
        expect(gateway.stop() == 0, "exit code after SIGTERM")


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_health_sees_the_same_registry_and_sigterm_exits_cleanly():
    d = demo()
    status, _, body = d.call("GET", "/health")
    expect(status in (200, 503), f"{status} {body}")
    codes = {t["companyCode"] for t in body["tenants"]}
    expect({"DCPSP", "DEMO", "ACME"} <= codes, body)
    acme = next(t for t in body["tenants"] if t["companyCode"] == "ACME")
    expect(acme["server"] == "127.0.0.1" and acme["hosting"] == "Your Server", acme)
    expect(d.gateway.stop() == 0, "exit code after SIGTERM")


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        if DEMO is not None:
            DEMO.stop()
