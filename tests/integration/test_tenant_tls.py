"""Encrypted, verified tenant connections (issue 15, item 3), over real TCP, real
FreeTDS and tdsd speaking TLS, with certificates made at run time by a test CA.

The matrix: tenant `encrypt` x tdsd `tls.mode` x certificate (good, unknown CA,
expired, wrong name, trusted without checks, an alias named by
`host_name_in_certificate`). Each cell answers as SQL Server with ODBC Driver 18 would:
an encrypting tenant is never downgraded (503 tls_required_not_offered or
tls_certificate_rejected, the reason in /health's lastError and in /metrics), a
verified one is served and says so in /health and /admin/tenants, and the tenants
beside a refused one are served all along. No password reaches the log."""

import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402

sys.path.insert(0, harness.source_path("tests"))
sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tls_material  # noqa: E402
import monitoring_support as support  # noqa: E402
import test_registry_resilience as resilience  # noqa: E402

DB_PASSWORD = support.DB_PASSWORD
GOOD_NAMES = dict(dns=("db.tls.test",), ips=("127.0.0.1",))
ALIAS = "acme-sql.database.windows.net"


class Servers:
    """One tdsd per (mode, certificate) the matrix needs, all on 127.0.0.1."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tg-tls-")
        self.ca = tls_material.make_ca(self.dir, "tenant-gateway test CA")
        good = tls_material.make_server_cert(self.ca, self.dir, "good", **GOOD_NAMES)
        alias = tls_material.make_server_cert(self.ca, self.dir, "alias", dns=(ALIAS,))
        bad = tls_material.make_bad_certs(self.ca, self.dir, **GOOD_NAMES)
        plan = {
            "plain": (None, "off"),
            "optional": (good, "optional"),
            "required": (good, "required"),
            "alias": (alias, "required"),
            "expired": (bad.expired, "required"),
            "wrong_name": (bad.wrong_name, "required"),
            "unknown_ca": (bad.unknown_ca, "required"),
        }
        self.tdsd = {}
        try:
            for name, (cert, mode) in plan.items():
                self.tdsd[name] = self._start(cert, mode)
        except Exception:
            self.stop()
            raise

    @staticmethod
    def _start(cert, mode):
        config = support.tdsd_config("127.0.0.1", ["FieldServiceDB"])
        if cert is not None:
            config += f"tls: {{cert_file: {cert.cert}, key_file: {cert.key}, mode: {mode}}}\n"
        return support.tdsd_harness.Tdsd(config, env={"TDSD_TEST_PASSWORD": DB_PASSWORD})

    def stop(self):
        for server in self.tdsd.values():
            server.stop()


# code -> (tdsd, tenant TLS keys, expected: ("served", encryption) or (code, reason))
CELLS = {
    "ENC_PLAIN": ("plain", {}, ("tls_required_not_offered", "not_offered")),
    "ENC_OPTIONAL": ("optional", {}, ("served", "verified")),
    "ENC_REQUIRED": ("required", {}, ("served", "verified")),
    "ENC_EXPIRED": ("expired", {}, ("tls_certificate_rejected", "certificate_expired")),
    "ENC_WRONG_NAME": ("wrong_name", {}, ("tls_certificate_rejected", "name_mismatch")),
    "ENC_UNKNOWN_CA": ("unknown_ca", {}, ("tls_certificate_rejected", "unknown_ca")),
    "TRUST_UNKNOWN_CA": ("unknown_ca", {"trust_server_certificate": "true"}, ("served", "encrypted")),
    "TRUST_EXPIRED": ("expired", {"trust_server_certificate": "true"}, ("served", "encrypted")),
    "ALIAS_NAMED": ("alias", {"host_name_in_certificate": ALIAS}, ("served", "verified")),
    "ALIAS_UNNAMED": ("alias", {}, ("tls_certificate_rejected", "name_mismatch")),
    "PLAIN_PLAIN": ("plain", {"encrypt": "false"}, ("served", "not_required")),
    "PLAIN_OPTIONAL": ("optional", {"encrypt": "false"}, ("served", "not_required")),
    # The server forces encryption: FreeTDS encrypts as asked, without checking the
    # certificate (the README says so; ODBC 18 would check it).
    "PLAIN_REQUIRED": ("required", {"encrypt": "false"}, ("served", "not_required")),
}


def gateway_config(servers, ca_file):
    tenants = []
    for code, (server, keys, _) in CELLS.items():
        extra = "".join(f", {k}: {v}" for k, v in keys.items())
        tenants.append(f"  - {{code: {code}, name: {code}, server: 127.0.0.1, "
                       f"port: {servers.tdsd[server].port}, database: FieldServiceDB{extra}}}")
    return f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 2}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools:
  ca_file: {ca_file}
  max_size: 2
  acquire_timeout: 3s
  login_timeout: 3s
  breaker: {{failure_threshold: 2, base_backoff: 200ms, max_backoff: 500ms}}
health: {{probe_interval: 300ms, probe_timeout: 3s}}
metrics: {{enabled: true}}
admin: {{enabled: true, access: loopback}}
tenants:
{chr(10).join(tenants)}
routes:
  - {{method: GET, path: /api/customers, kind: sql, sql: "SELECT Id AS id, Name AS name FROM Customers ORDER BY Id"}}
"""


def customers(port, code):
    return harness.http_json(port, "GET", f"/api/customers?company={code}")


def check_cell(port, code, expected):
    status, _, body = customers(port, code)
    outcome, detail = expected
    if outcome == "served":
        expect(status == 200 and [row["name"] for row in body] == ["First", "Second"], (code, status, body))
    else:
        expect_error(status, body, 503, outcome)
        expect(DB_PASSWORD not in str(body), (code, body))


def health_by_code(port):
    _, _, health = harness.http_json(port, "GET", "/health")
    return {t["companyCode"]: t for t in health["tenants"]}


def start(servers):
    gateway = harness.start_gateway(gateway_config(servers, servers.ca.cert),
                                    env={"TG_TEST_DB_PASSWORD": DB_PASSWORD})
    return gateway


def test_every_cell_answers_as_sql_server_and_odbc_18_would():
    servers = Servers()
    try:
        with start(servers) as gateway:
            for code, (_, _, expected) in CELLS.items():
                check_cell(gateway.port, code, expected)
            # a second round: pooled connections are reused, refusals stay refusals
            # (the breaker counts them and keeps the TLS code)
            for code, (_, _, expected) in CELLS.items():
                check_cell(gateway.port, code, expected)
            expect(all(DB_PASSWORD not in line for line in gateway.output()), "a password was logged")
    finally:
        servers.stop()


def test_health_admin_and_metrics_say_how_each_tenant_travels():
    servers = Servers()
    try:
        with start(servers) as gateway:
            port = gateway.port
            for code in CELLS:
                customers(port, code)
            support.wait_for(lambda: all(health_by_code(port)[c]["lastError"] for c, cell in CELLS.items()
                                         if cell[2][0] != "served"), 15, "probes of the refused tenants")
            health = health_by_code(port)
            _, _, admin = harness.http_json(port, "GET", "/admin/tenants")
            admin_rows = {t["companyCode"]: t for t in admin["tenants"]}
            samples = harness.scrape_metrics(port)
            for code, (_, _, (outcome, detail)) in CELLS.items():
                if outcome == "served":
                    expect(health[code]["encryption"] == detail and health[code]["connected"], health[code])
                    expect(admin_rows[code]["encryption"] == detail, admin_rows[code])
                    continue
                expect(not health[code]["connected"], health[code])
                expect(health[code]["encryption"] is None, health[code])
                failures = harness.metric_value(samples, "tenant_gateway_tls_failures_total",
                                                tenant=code, reason=detail)
                expect(failures is not None and failures >= 1, (code, detail, failures))
            expect("expired" in health["ENC_EXPIRED"]["lastError"], health["ENC_EXPIRED"])
            expect("ENC_EXPIRED" not in str(health["ENC_REQUIRED"]["lastError"]), health["ENC_REQUIRED"])
            expect("does not offer encryption" in health["ENC_PLAIN"]["lastError"], health["ENC_PLAIN"])
            expect(DB_PASSWORD not in str(health) + str(admin), "a password in /health or /admin")
    finally:
        servers.stop()


def test_refused_tenants_do_not_slow_the_others():
    servers = Servers()
    try:
        with start(servers) as gateway:
            port = gateway.port
            errors = []

            def hammer(code, want):
                for _ in range(25):
                    status, _, body = customers(port, code)
                    if (status == 200) != want:
                        errors.append((code, status, body))

            threads = [threading.Thread(target=hammer, args=(code, want)) for code, want in
                       (("ENC_REQUIRED", True), ("PLAIN_PLAIN", True), ("ENC_EXPIRED", False),
                        ("ENC_UNKNOWN_CA", False), ("ENC_PLAIN", False))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            expect(not errors, errors[:5])
    finally:
        servers.stop()


# A PRELOGIN answer offering encryption: VERSION and ENCRYPTION=ON, then the terminator.
PRELOGIN_ON = bytes([0x04, 0x01, 0x00, 0x1A, 0x00, 0x00, 0x01, 0x00,
                     0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF,
                     0x0F, 0x00, 0x07, 0xD0, 0x00, 0x00, 0x01])


class FloodingServer:
    """A hostile "database" that never ends a negotiation: after the client's PRELOGIN it
    sends empty, never-final packets as fast as it can, in the PRELOGIN answer itself
    (`prelogin`) or after offering encryption, in place of the TLS handshake (`handshake`)."""

    def __init__(self, stage):
        self.stage = stage
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open_connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._flood, args=(conn,), daemon=True).start()

    def _flood(self, conn):
        self.open_connections += 1
        empty = bytes([0x12 if self.stage == "handshake" else 0x04, 0x00, 0x00, 0x08, 0, 0, 1, 0]) * 512
        try:
            conn.recv(4096)
            if self.stage == "handshake":
                conn.sendall(PRELOGIN_ON)
            while True:
                conn.sendall(empty)
        except OSError:
            pass
        finally:
            self.open_connections -= 1
            conn.close()

    def stop(self):
        self.listener.close()


def test_a_server_that_floods_the_negotiation_is_cut_off_at_the_login_timeout():
    floods = {"FLOOD_PRELOGIN": FloodingServer("prelogin"), "FLOOD_HANDSHAKE": FloodingServer("handshake")}
    good = support.start_tdsd("127.0.0.1", ["FieldServiceDB"])
    try:
        tenants = [f"  - {{code: {code}, name: {code}, server: 127.0.0.1, port: {server.port}, database: FieldServiceDB}}"
                   for code, server in floods.items()]
        tenants.append(f"  - {{code: GOOD, name: GOOD, server: 127.0.0.1, port: {good.port}, database: FieldServiceDB, "
                       "encrypt: false}")
        config = f"""
listen: {{address: 127.0.0.1, port: 0}}
registry: {{source: yaml, default_user: fieldservice_api, default_credential_ref: env:TG_TEST_DB_PASSWORD}}
pools: {{worker_threads: 2, login_timeout: 2s, acquire_timeout: 8s}}
tenants:
{chr(10).join(tenants)}
routes:
  - {{method: GET, path: /api/customers, kind: sql, sql: "SELECT Id AS id, Name AS name FROM Customers ORDER BY Id"}}
"""
        with harness.start_gateway(config, env={"TG_TEST_DB_PASSWORD": DB_PASSWORD}) as gateway:
            answers = {}

            def ask(code):
                started = time.monotonic()
                status, _, body = customers(gateway.port, code)
                answers[code] = (status, body, time.monotonic() - started)

            flooding = [threading.Thread(target=ask, args=(code,)) for code in floods]
            for thread in flooding:
                thread.start()
            time.sleep(0.3)  # both floods hold a worker thread each: every worker there is
            ask("GOOD")
            for thread in flooding:
                thread.join()
            status, body, _ = answers["GOOD"]
            expect(status == 200 and body, ("GOOD", status, body))
            for code in floods:
                status, body, took = answers[code]
                expect(status == 503, (code, status, body))
                expect(took < 5, f"{code} answered after {took:.1f}s, login_timeout is 2s")
            support.wait_for(lambda: all(s.open_connections == 0 for s in floods.values()), 5,
                             "the gateway to close the flooding connections")
    finally:
        good.stop()
        for server in floods.values():
            server.stop()


REGISTRY_NAME = "registry.tls.test"


def start_tls_registry(servers):
    """The TenantRegistry on a tdsd that forces TLS, its certificate for REGISTRY_NAME only."""
    cert = tls_material.make_server_cert(servers.ca, servers.dir, "registry", dns=(REGISTRY_NAME,))
    config = resilience.tdsd_config("TDSD_REGISTRY_PASSWORD", "registry_reader", [("TenantRegistry", ["registry.sql"])])
    config += f"tls: {{cert_file: {cert.cert}, key_file: {cert.key}, mode: required}}\n"
    return support.tdsd_harness.Tdsd(config, env={"TDSD_REGISTRY_PASSWORD": resilience.REGISTRY_PW})


def registry_sql(registry, ca_file, sql, params=None):
    with registry.connect(user="registry_reader", password=resilience.REGISTRY_PW, database="TenantRegistry",
                          cafile=ca_file, validate_host=False) as conn:
        conn.cursor().execute(sql, params)


def registry_gateway_config(registry, ca_file, registry_name):
    name_line = f"  host_name_in_certificate: {registry_name}\n" if registry_name else ""
    return f"""
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: tds
  server: 127.0.0.1
  port: {registry.port}
  database: TenantRegistry
  user: registry_reader
  credential_ref: env:TDSD_REGISTRY_PASSWORD
{name_line}  refresh_interval: 30s
  retry_base: 200ms
  retry_max: 1s
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{ca_file: {ca_file}, login_timeout: 3s, acquire_timeout: 3s}}
admin: {{enabled: true, access: loopback}}
routes:
  - {{method: GET, path: /api/customers, kind: sql, sql: "SELECT Id AS id, Name AS name FROM Customers ORDER BY Id"}}
"""


def test_the_registry_connection_and_its_rows_carry_the_tls_keys():
    servers = Servers()
    registry = start_tls_registry(servers)
    try:
        ca = servers.ca.cert
        rows = {  # code -> (server, SET clause, expected)
            "DCPSP": ("required", "", ("served", "verified")),
            "ACME": ("alias", f", HostNameInCertificate = N'{ALIAS}'", ("served", "verified")),
            "GLOBALSEC": ("unknown_ca", ", TrustServerCertificate = 1", ("served", "encrypted")),
            "TECHSTART": ("plain", ", Encrypt = 0", ("served", "not_required")),
            "DEMO": ("expired", "", ("tls_certificate_rejected", "certificate_expired")),
        }
        for code, (server, extra, _) in rows.items():
            registry_sql(registry, ca, "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %s, "
                                       "DatabaseName = N'FieldServiceDB', DatabaseUser = NULL, CredentialRef = NULL, "
                                       "Encrypt = NULL" + extra + " WHERE CompanyCode = %s",
                         (servers.tdsd[server].port, code))
        env = {"TG_TEST_DB_PASSWORD": DB_PASSWORD, "TDSD_REGISTRY_PASSWORD": resilience.REGISTRY_PW}
        with harness.start_gateway(registry_gateway_config(registry, ca, REGISTRY_NAME), env=env) as gateway:
            support.wait_for(lambda: harness.http_request(gateway.port, "GET", "/readyz")[0] == 200, 10,
                             "the registry read over TLS")
            for code, (_, _, expected) in rows.items():
                check_cell(gateway.port, code, expected)
            _, _, admin = harness.http_json(gateway.port, "GET", "/admin/tenants")
            modes = {t["companyCode"]: t["encryption"] for t in admin["tenants"]}
            expect(modes["DCPSP"] == "verified" and modes["GLOBALSEC"] == "encrypted"
                   and modes["TECHSTART"] == "not_required", modes)
        # the registry's certificate does not carry the name dialled (127.0.0.1): not read
        with harness.start_gateway(registry_gateway_config(registry, ca, None), env=env) as gateway:
            support.wait_for(lambda: (harness.http_json(gateway.port, "GET", "/health")[2]["registry"]
                                      .get("lastError") or ""), 10, "the registry's refusal")
            _, _, health = harness.http_json(gateway.port, "GET", "/health")
            expect("certificate" in health["registry"]["lastError"], health["registry"])
            expect(harness.http_request(gateway.port, "GET", "/readyz")[0] == 503, "ready without a registry")
            expect(resilience.REGISTRY_PW not in "".join(gateway.output()), "the registry password was logged")
    finally:
        registry.stop()
        servers.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
