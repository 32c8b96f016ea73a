"""Login endpoint against brute force and user enumeration, over real HTTP and TDS:
parallel attempts count before their password is checked, the account key is the one
SQL Server compares by (trailing spaces and case ignored), each client address has a
budget of its own, and unknown users take as long as wrong passwords on every tenant,
whatever tenant was served before.

Two tenants on one tdsd: CHEAP stores bcrypt cost 4 hashes, DEAR bcrypt cost 9. Each
test talks from its own loopback address (127.0.0.x) so their address budgets are apart."""

import http.client
import json
import os
import statistics
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_e2e_flow as flow  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Debian's python3 3.11: libxcrypt's crypt(3); deprecated, still there

PASSWORD = {"CHEAP": "Cheap-Pass-2024", "DEAR": "Dear-Pass-2024"}
COST = {"CHEAP": 4, "DEAR": 9}
USERS = ["ops@x"] + [f"user{i}@x" for i in range(1, 13)]

CONFIG = """
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
auth:
  secret_ref: env:TG_AUTH_SECRET
  login_limit: {{{limits}}}
pools: {{encrypt: false}}
tenants:
  - {{code: CHEAP, name: Cheap Inc, server: 127.0.0.1, port: {port}, database: CheapDB}}
  - {{code: DEAR, name: Dear Inc, server: 127.0.0.1, port: {port}, database: DearDB}}
routes:
{login_route}
"""


def users_sql(tenant):
    rows = []
    for name in USERS:
        setting = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** COST[tenant])
        hashed = crypt.crypt(PASSWORD[tenant], setting)
        expect(hashed and hashed.startswith("$2b$%02d$" % COST[tenant]), f"crypt gave {hashed!r}")
        rows.append(f"    (N'{name}', N'{name}', N'{hashed}', N'admin', 1)")
    return ("INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)\nVALUES\n"
            + ",\n".join(rows) + ";\nGO\n")


def start_tdsd():
    cheap = harness.write_temp(users_sql("CHEAP"), suffix=".sql")
    dear = harness.write_temp(users_sql("DEAR"), suffix=".sql")
    config = flow.tdsd_config(
        [("fieldservice_api", "TDSD_PASSWORD", ["CheapDB", "DearDB"])],
        [("CheapDB", ["fieldservice_schema.sql", cheap]), ("DearDB", ["fieldservice_schema.sql", dear])])
    return flow.tdsd_harness.Tdsd(config, env={"TDSD_PASSWORD": flow.TENANT_PW})


def start_gateway(tdsd, limits):
    env = {"TDSD_PASSWORD": flow.TENANT_PW, "TG_AUTH_SECRET": flow.AUTH_SECRET}
    return harness.start_gateway(CONFIG.format(port=tdsd.port, limits=limits, login_route=harness.LOGIN_ROUTE_YAML), env=env)


SERVERS = {}


def servers():
    """tdsd, a gateway with the default-like budgets and one with budgets out of the way."""
    if not SERVERS:
        SERVERS["tdsd"] = start_tdsd()
        SERVERS["limited"] = start_gateway(
            SERVERS["tdsd"], "max_failures: 5, per_address_max_failures: 12, window: 5m")
        SERVERS["open"] = start_gateway(
            SERVERS["tdsd"], "max_failures: 100000, per_address_max_failures: 100000, window: 5m")
    return SERVERS


def login(port, tenant, user, password, source="127.0.0.1"):
    """POST the login from the loopback address `source`: (status, headers, body, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        body = json.dumps({"username": user, "password": password})
        started = time.perf_counter()
        conn.request("POST", f"/api/auth/login?company={tenant}", body=body,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, json.loads(data) if data else None, elapsed
    finally:
        conn.close()


def test_parallel_attempts_count_before_their_password_is_checked():
    port = servers()["limited"].port
    results = [None] * 30
    started = threading.Barrier(29)

    def wrong(i):
        started.wait()
        results[i] = login(port, "DEAR", "ops@x", f"wrong-{i}", source="127.0.0.2")

    threads = [threading.Thread(target=wrong, args=(i,)) for i in range(29)]
    for t in threads:
        t.start()
    time.sleep(0.05)  # the 29 are in flight: the right password arrives inside the burst
    results[29] = login(port, "DEAR", "ops@x", PASSWORD["DEAR"], source="127.0.0.3")
    for t in threads:
        t.join()
    statuses = [r[0] for r in results]
    checked = [s for s in statuses if s != 429]
    expect(len(checked) <= 5, f"{len(checked)} attempts were checked against the password: {statuses}")
    expect(results[29][0] == 429, f"the right password inside the burst: {results[29][0]} {results[29][2]}")
    for status, headers, body, _ in results:
        if status == 429:
            expect_error(status, body, 429, "too_many_attempts")
            expect(int(headers.get("retry-after", "0")) >= 1, headers)
        else:
            expect_error(status, body, 401, "invalid_credentials")
    # the failures stay counted after the burst
    status, headers, body, _ = login(port, "DEAR", "ops@x", PASSWORD["DEAR"], source="127.0.0.3")
    expect_error(status, body, 429, "too_many_attempts")
    expect(int(headers["retry-after"]) > 60, headers)


def test_spellings_sql_server_compares_equal_share_one_budget():
    port = servers()["limited"].port
    spellings = ["ops@x ", "OPS@X", "Ops@x   ", "oPs@X ", "OPS@x  "]
    for i, name in enumerate(spellings):
        status, _, body, _ = login(port, "CHEAP", name, "wrong", source=f"127.0.0.{10 + i}")
        expect_error(status, body, 401, "invalid_credentials")
    status, headers, body, _ = login(port, "CHEAP", "ops@x", PASSWORD["CHEAP"], source="127.0.0.20")
    expect_error(status, body, 429, "too_many_attempts")
    expect(int(headers["retry-after"]) > 0, headers)
    # leading blanks are significant to `=`: another account, not throttled
    status, _, body, _ = login(port, "CHEAP", " ops@x", "wrong", source="127.0.0.20")
    expect_error(status, body, 401, "invalid_credentials")
    # the other tenant's account of the same name is its own
    status, _, body, _ = login(port, "DEAR", "user1@x", PASSWORD["DEAR"], source="127.0.0.20")
    expect(status == 200 and body.get("token"), f"{status} {body}")


def test_each_client_address_has_a_budget_across_accounts():
    port = servers()["limited"].port
    source = "127.0.0.30"
    for i in range(12):  # per_address_max_failures, spread over accounts and tenants
        tenant = "CHEAP" if i % 2 else "DEAR"
        status, _, body, _ = login(port, tenant, USERS[1 + i % 12], "wrong", source=source)
        expect_error(status, body, 401, "invalid_credentials")
    status, headers, body, _ = login(port, "CHEAP", "user12@x", PASSWORD["CHEAP"], source=source)
    expect_error(status, body, 429, "too_many_attempts")
    expect(int(headers["retry-after"]) > 60, headers)
    # the accounts themselves are not locked: another address signs in
    status, _, body, _ = login(port, "CHEAP", "user12@x", PASSWORD["CHEAP"], source="127.0.0.31")
    expect(status == 200 and body.get("token"), f"{status} {body}")


def medians(port, first, second, rounds=40):
    """Per tenant: median seconds of wrong-password and of unknown-user logins, the
    tenants' requests interleaved so that each unknown-user try follows the other
    tenant's wrong-password try."""
    times = {t: {"wrong": [], "unknown": []} for t in (first, second)}
    for i in range(rounds):
        for tenant in (first, second):
            status, _, body, took = login(port, tenant, USERS[1 + i % 12], f"wrong-{i}", source="127.0.0.40")
            expect_error(status, body, 401, "invalid_credentials")
            times[tenant]["wrong"].append(took)
        for tenant in (first, second):
            status, _, body, took = login(port, tenant, f"ghost{i}@x", f"wrong-{i}", source="127.0.0.40")
            expect_error(status, body, 401, "invalid_credentials")
            times[tenant]["unknown"].append(took)
    return {t: (statistics.median(v["wrong"]), statistics.median(v["unknown"])) for t, v in times.items()}


def test_unknown_users_take_as_long_as_wrong_passwords_on_every_tenant():
    if os.environ.get("TG_SANITIZED"):
        # instrumented code runs several times slower and unevenly: this test runs (and
        # must pass) in the plain build of scripts/test
        print("  timing not measured under sanitizers")
        return
    port = servers()["open"].port
    for order in (("CHEAP", "DEAR"), ("DEAR", "CHEAP")):
        # measured again (up to 4 times) only when off: ctest runs other tests beside this
        # one on 2 cores, and a cheap hash is a few milliseconds
        for attempt in range(4):
            off = []
            for tenant, (wrong, unknown) in medians(port, *order).items():
                print(f"  {order}: {tenant} wrong {wrong * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
                if not 0.9 < unknown / wrong < 1.1:
                    off.append(f"{tenant} after {order}: wrong-password median {wrong * 1000:.1f} ms, "
                               f"unknown-user median {unknown * 1000:.1f} ms")
            if not off:
                break
        expect(not off, "; ".join(off))


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        for server in SERVERS.values():
            server.stop()
