"""conf/demo's tdsd configs start, load their T-SQL, and serve each tenant's own rows."""

import pytds

from tdsd_fixture import expect, harness, run_tests, tdsd_binary

PASSWORD = "demo-check-1"
REGISTRY_PASSWORD = "demo-registry-1"


def start(name):
    config = harness.source_path("conf", "demo", f"tdsd-{name}.yaml")
    return harness.Server([tdsd_binary(), "--config", config], name=f"tdsd-{name}",
                          env={"TDSD_PASSWORD": PASSWORD, "TDSD_REGISTRY_PASSWORD": REGISTRY_PASSWORD})


def first_customer(server, database, user="fieldservice_api", password=PASSWORD):
    with pytds.connect(server.host, database, user, password, port=server.port, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT TOP 1 Name FROM Customers ORDER BY CustomerId")
        name = cur.fetchone()[0]
        cur.execute("SELECT DisplayName FROM Users WHERE Username = %s", ("john@acme.com",))
        return name, cur.fetchall()


def test_own_server_has_registry_dcpsp_and_demo():
    with start("own") as server:
        expect(first_customer(server, "FieldServiceDB")[0] == "DCPSP Water Utility", "DCPSP rows")
        expect(first_customer(server, "FieldServiceDB_Demo")[0] == "Demo Coffee Roasters", "DEMO rows")
        with pytds.connect(server.host, "TenantRegistry", "registry_reader", REGISTRY_PASSWORD,
                           port=server.port, autocommit=True) as conn:
            cur = conn.cursor()
            cur.execute("SELECT CompanyCode, DatabaseName FROM Tenants WHERE IsActive = 1 ORDER BY TenantId")
            expect(cur.fetchall() == [("DCPSP", "FieldServiceDB"), ("DEMO", "FieldServiceDB_Demo"),
                                      ("ACME", "FieldServiceDB_ACME"), ("TECHSTART", "FieldServiceDB"),
                                      ("GLOBALSEC", "FieldServiceDB")], "registry rows")
        try:
            # pytds retries "Cannot open database" until its login time-out, as it does
            # against SQL Server: keep that short.
            pytds.connect(server.host, "TenantRegistry", "fieldservice_api", PASSWORD,
                          port=server.port, login_timeout=2).close()
            raise AssertionError("fieldservice_api opened TenantRegistry")
        except pytds.tds_base.Error as e:
            expect("4060" in repr(e) or "Cannot open database" in str(e), f"unexpected error: {e!r}")


def test_customer_servers_each_serve_their_own_tenant():
    for name, database, customer in [("acme", "FieldServiceDB_ACME", "ACME Rocket Supply"),
                                     ("techstart", "FieldServiceDB", "TechStart Labs"),
                                     ("globalsec", "FieldServiceDB", "GlobalSec Vault Services")]:
        with start(name) as server:
            first, john = first_customer(server, database)
            expect(first == customer, f"{name}: first customer {first!r}")
            expect(john == ([("John Smith",)] if name == "acme" else []), f"{name}: john@acme.com {john}")


if __name__ == "__main__":
    run_tests(globals())
