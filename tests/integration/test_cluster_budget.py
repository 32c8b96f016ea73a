"""Instances that share a tenant's budget (issue 16, item 1), three gateways against one
registry and one tenant database over real HTTP and TDS:

- each tenant's MaxConnections is split so the instances' caps add up to exactly it
  (floor(L/3), the remainder on instances rotated by an FNV-1a hash of the code), shown in
  /health (pool.max, pool.clusterMax) with the instance and its share of the global caps;
- an instance whose share of a tenant is 0 answers 503 tenant_db_unavailable saying so,
  while the instances that hold the tenant's connections serve it;
- /metrics shows the placement and this instance's caps;
- health probes, every 200 ms here, run only where a tenant has a live pool: they open no
  pool of their own, keep no pool open past unused_pool_timeout, and an instance without
  a pool of the tenant (none yet, or no share of it) reports it "elsewhere", never down."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_registry_resilience as resilience  # noqa: E402

INSTANCES = 3
LIMITS = {"DCPSP": 20, "DEMO": 2, "ACME": 10, "TECHSTART": 4, "GLOBALSEC": 1}


def fnv1a(text):
    value = 14695981039346656037
    for byte in text.encode():
        value = ((value ^ byte) * 1099511628211) % 2 ** 64
    return value


def share(limit, instance, key):
    """The split of tds_pool/instance_share.cpp, written again from the README's rule."""
    first_extra = fnv1a(key) % INSTANCES
    position = (instance - first_extra) % INSTANCES
    return limit // INSTANCES + (1 if position < limit % INSTANCES else 0)


def gateway_config(registry_port):
    """One configuration for all three; each reads its instance_id from the environment."""
    return (resilience.gateway_config(registry_port) + f"""
cluster:
  instances: {INSTANCES}
  instance_id: ${{TG_TEST_INSTANCE}}
listen: {{address: 127.0.0.1, port: 0, io_threads: 1}}
health: {{probe_interval: 200ms}}
""").replace("listen: {address: 127.0.0.1, port: 0}\n", "", 1).replace(
        "  max_size: 4\n", "  max_size: 4\n  unused_pool_timeout: 1500ms\n", 1)


def tenant_states(gateway):
    """{code: (status, connected, pool size)} and the top-level counts of /health."""
    _, _, health = harness.http_json(gateway.port, "GET", "/health")
    states = {t["companyCode"]: (t["status"], t["connected"], t["pool"]["size"]) for t in health["tenants"]}
    counts = (health["tenantsUp"], health["tenantsDown"], health["tenantsElsewhere"])
    return states, counts, health


def check_probes_open_no_pool(gateways):
    """Before any request: rounds of probes ran, no instance opened a pool, every tenant
    is "elsewhere" (connected null), none down."""
    for gateway in gateways:
        resilience.wait_for(lambda: all(s[0] == "elsewhere" for s in tenant_states(gateway)[0].values()), 10,
                            "every tenant elsewhere before any request")
    for gateway in gateways:
        states, counts, health = tenant_states(gateway)
        expect(health["activePools"] == 0, ("a probe opened a pool", health["activePools"]))
        expect(all(s == ("elsewhere", None, 0) for s in states.values()), states)
        expect(counts == (0, 0, len(LIMITS)), counts)
        samples = harness.scrape_metrics(gateway.port)
        expect(harness.metric_value(samples, "tenant_gateway_tenants", state="elsewhere") == len(LIMITS), "gauge")
        expect(harness.metric_value(samples, "tenant_gateway_tenants", state="down") == 0, "none down")
        expect(harness.metric_value(samples, "tenant_gateway_tenant_up", tenant="DEMO") is None, "no up gauge")


def check_probes_follow_the_pools(gateways):
    """After the requests: where a pool serves the tenant, the probes report it up with a
    latency; where none can (no share), "elsewhere". Then the pools close once unused
    although the probes keep running, and the tenants go back to "elsewhere"."""
    for code in ("DEMO", "GLOBALSEC"):
        for instance, gateway in enumerate(gateways):
            want = "up" if share(LIMITS[code], instance, code) else "elsewhere"
            # a request (re)opens the pool where a share lies; it lives 1.5 s unused
            harness.http_json(gateway.port, "GET", f"/api/customers?company={code}")
            resilience.wait_for(lambda: tenant_states(gateway)[0][code][0] == want, 10,
                                f"{code} {want} on instance {instance}")
            _, _, health = tenant_states(gateway)
            entry = next(t for t in health["tenants"] if t["companyCode"] == code)
            if want == "up":
                expect(entry["connected"] is True and entry["latencyMs"] is not None, entry)
            else:
                expect(entry["connected"] is None and entry["lastError"] is None, entry)
    for instance, gateway in enumerate(gateways):
        resilience.wait_for(lambda: tenant_states(gateway)[2]["activePools"] == 0, 10,
                            f"instance {instance}'s pools closed while probed every 200 ms")
        states, counts, _ = tenant_states(gateway)
        expect(counts[1] == 0, ("a tenant reported down", instance, states))


def test_three_instances_split_every_limit_and_never_exceed_it():
    registry = resilience.start_registry()
    tenant_db = resilience.start_tenant_db()
    gateways = []
    try:
        for code, limit in LIMITS.items():
            resilience.registry_sql(
                registry, "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %d, Encrypt = 0, "
                          "DatabaseName = N'FieldServiceDB', MaxConnections = %d WHERE CompanyCode = N'%s'"
                          % (tenant_db.port, limit, code))
        config = gateway_config(registry.port)
        for instance in range(INSTANCES):
            env = dict(resilience.gateway_env(), TG_TEST_INSTANCE=str(instance))
            gateways.append(harness.start_gateway(config, env=env))

        check_probes_open_no_pool(gateways)
        totals = {code: 0 for code in LIMITS}
        for instance, gateway in enumerate(gateways):
            _, _, health = harness.http_json(gateway.port, "GET", "/health")
            expect(health["instance"]["id"] == instance and health["instance"]["instances"] == INSTANCES,
                   health["instance"])
            expect(health["instance"]["maxTotalConnections"] == share(1000, instance, "max_total_connections"),
                   health["instance"])
            expect(health["instance"]["maxConnectionsPerHost"] == share(200, instance, "max_connections_per_host"),
                   health["instance"])
            for tenant in health["tenants"]:
                code = tenant["companyCode"]
                expect(tenant["pool"]["clusterMax"] == LIMITS[code], tenant)
                expect(tenant["pool"]["max"] == share(LIMITS[code], instance, code), (instance, tenant))
                totals[code] += tenant["pool"]["max"]
            samples = harness.scrape_metrics(gateway.port)
            expect(harness.metric_value(samples, "tenant_gateway_cluster_instances") == INSTANCES, "instances")
            expect(harness.metric_value(samples, "tenant_gateway_cluster_instance_id") == instance, "id")
            expect(harness.metric_value(samples, "tenant_gateway_pool_max_opening_connections") == 16, "opening cap")
        expect(totals == LIMITS, ("the shares add up to each limit", totals))

        # a limit below the instance count: served only where a share lies
        for code in ("DEMO", "GLOBALSEC"):
            served = 0
            for instance, gateway in enumerate(gateways):
                status, _, body = harness.http_json(gateway.port, "GET", f"/api/customers?company={code}")
                if share(LIMITS[code], instance, code) == 0:
                    expect_error(status, body, 503, "tenant_db_unavailable")
                else:
                    expect(status == 200 and isinstance(body, list), (code, instance, status, body))
                    served += 1
            expect(served == LIMITS[code], (code, served))
        # the pool of a tenant never grows beyond this instance's share
        for instance, gateway in enumerate(gateways):
            samples = harness.scrape_metrics(gateway.port)
            cap = harness.metric_value(samples, "tenant_gateway_pool_max_connections", tenant="DEMO")
            expect(cap in (None, float(share(LIMITS["DEMO"], instance, "DEMO"))), (instance, cap))
        check_probes_follow_the_pools(gateways)
    finally:
        for gateway in gateways:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
        tenant_db.stop()
        registry.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
