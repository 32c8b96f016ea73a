"""Registry rows are checked, never silently defaulted (issue 18, item 4; issue 13,
item 6 for Encrypt), against tdsd over real HTTP and TDS:

- a Tenants row with a port out of range, an empty DatabaseName, a CredentialRef that
  is not a reference, or a HostNameInCertificate that is not a DNS name is not served: its tenant answers 503 tenant_misconfigured with the reason, while
  the valid tenants are served;
- each such row is logged once per load with the reason, shown in /admin/tenants and
  /health, and counted in /metrics;
- a row fixed in the registry is served after the next load; a bad row found by an
  on-demand lookup is refused the same way."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_registry_resilience as resilience  # noqa: E402

ADMIN_TOKEN = "admin-token-registry-rows"


def gateway_config(registry_port):
    return resilience.gateway_config(registry_port) + f"""
admin: {{enabled: true, access: token, token: {ADMIN_TOKEN}}}
health: {{probe_interval: 1h}}
"""


def admin(port, method, path):
    return harness.http_json(port, method, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def customers(port, code):
    return harness.http_json(port, "GET", f"/api/customers?company={code}")


def expect_misconfigured(port, code, reason):
    status, headers, body = customers(port, code)
    expect_error(status, body, 503, "tenant_misconfigured")
    expect(reason in body["error"]["message"], (code, body))
    expect("retry-after" in headers, headers)


def log_lines_about(gateway, code):
    return [line for line in gateway.output() if "row not served" in line and code in line]


def point_at(registry, tenant_db, codes):
    resilience.registry_sql(
        registry, "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %s, Encrypt = 0, "
                  "DatabaseName = N'FieldServiceDB' WHERE CompanyCode IN (" +
                  ", ".join(f"N'{c}'" for c in codes) + ")", (tenant_db.port,))


def test_invalid_rows_are_refused_with_a_reason_and_valid_ones_served():
    registry = resilience.start_registry()
    tenant_db = resilience.start_tenant_db()
    try:
        point_at(registry, tenant_db, ["DCPSP", "DEMO", "ACME", "TECHSTART", "GLOBALSEC"])
        sql = lambda text: resilience.registry_sql(registry, text)  # noqa: E731
        sql("UPDATE Tenants SET Port = 70000 WHERE CompanyCode = N'ACME'")
        sql("UPDATE Tenants SET DatabaseName = N'' WHERE CompanyCode = N'TECHSTART'")
        sql("UPDATE Tenants SET HostNameInCertificate = N'not a name' WHERE CompanyCode = N'GLOBALSEC'")
        sql("UPDATE Tenants SET CredentialRef = N'Plain-Passw0rd' WHERE CompanyCode = N'DEMO'")
        gateway = harness.start_gateway(gateway_config(registry.port), env=resilience.gateway_env())
        try:
            port = gateway.port
            status, _, body = customers(port, "DCPSP")
            expect(status == 200 and isinstance(body, list) and body, (status, body))
            expect_misconfigured(port, "ACME", "Port 70000 is outside 1..65535")
            expect_misconfigured(port, "TECHSTART", "DatabaseName is empty")
            expect_misconfigured(port, "GLOBALSEC", "HostNameInCertificate is not a DNS name")
            expect_misconfigured(port, "DEMO", "CredentialRef must look like env:NAME or file:/path")
            _, _, body = customers(port, "DEMO")
            expect("Plain-Passw0rd" not in str(body), body)

            _, _, health = harness.http_json(port, "GET", "/health")
            by_code = {t["companyCode"]: t for t in health["tenants"]}
            expect(by_code["ACME"]["status"] == "misconfigured" and not by_code["ACME"]["connected"],
                   by_code["ACME"])
            expect("Port 70000" in by_code["ACME"]["problem"], by_code["ACME"])
            expect(by_code["DCPSP"]["problem"] is None, by_code["DCPSP"])
            expect(health["registry"]["invalidRows"] == 4, health["registry"])

            status, _, table = admin(port, "GET", "/admin/tenants")
            expect(status == 200, table)
            problems = {t["companyCode"]: t["problem"] for t in table["tenants"]}
            expect("DatabaseName is empty" in problems["TECHSTART"] and problems["DCPSP"] is None, problems)
            expect(table["registry"]["invalidRows"] == 4, table["registry"])

            samples = resilience.metrics(port)
            invalid = harness.metric_value(samples, "tenant_gateway_registry_invalid_rows")
            expect(invalid == 4.0, invalid)
            misconfigured = harness.metric_value(samples, "tenant_gateway_tenants", state="misconfigured")
            expect(misconfigured == 4.0, misconfigured)

            expect(len(log_lines_about(gateway, "ACME")) == 1, log_lines_about(gateway, "ACME"))
            expect(all("Plain-Passw0rd" not in line for line in gateway.output()), "a credential was logged")

            # fixed in the registry: served from the next load on; the log names the rest again
            sql("UPDATE Tenants SET Port = %d WHERE CompanyCode = N'ACME'" % tenant_db.port)
            status, _, body = admin(port, "POST", "/admin/registry/reload")
            expect(status == 200, body)
            status, _, body = customers(port, "ACME")
            expect(status == 200 and isinstance(body, list), (status, body))
            expect(len(log_lines_about(gateway, "ACME")) == 1, "a fixed row is not logged again")
            expect(len(log_lines_about(gateway, "TECHSTART")) == 2, log_lines_about(gateway, "TECHSTART"))

            # a row added after the load, found by an on-demand lookup, is checked the same way
            sql("INSERT INTO Tenants (CompanyCode, CompanyName, DatabaseServer, DatabaseName, Port) "
                "VALUES (N'NEWCO', N'New Co', N'127.0.0.1', N'FieldServiceDB', -1)")
            expect_misconfigured(port, "NEWCO", "Port -1 is outside 1..65535")
            status, _, body = customers(port, "DCPSP")
            expect(status == 200, (status, body))
        finally:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
    finally:
        tenant_db.stop()
        registry.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
