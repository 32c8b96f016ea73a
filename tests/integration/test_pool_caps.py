"""A tenant's own connection cap (YAML max_connections, registry MaxConnections) holds
from its pool's first connection, whoever creates the pool (the background health probe
before any request, here), and follows the registry live: measured at tdsd, which counts
the most connections it ever had open at once."""

import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import monitoring_support as ms  # noqa: E402
from harness import expect, http_request  # noqa: E402

tdsd = ms.start_tdsd("127.0.0.1", ["CappedDB"])
expect(tdsd.control("latency CappedDB 40 0") == "ok")


def config(cap):
    return f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 2}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
pools: {{encrypt: false, max_size: 20, acquire_timeout: 10s}}
health: {{probe_interval: 100ms, probe_timeout: 2s}}
routes:
  - {{methods: [GET], path: /api/one, kind: sql, sql: "SELECT 1 AS one", result: one}}
tenants:
  - {{code: CAPPED, server: 127.0.0.1, port: {tdsd.port}, database: CappedDB, max_connections: {cap}}}
"""


def burst(port, n):
    def one(_):
        return http_request(port, "GET", "/api/one?company=capped", timeout=30)[0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def probed(gateway):
    status, _, body = harness.http_json(gateway.port, "GET", "/health")
    return status == 200 and any(t.get("connected") for t in body["tenants"])


def test_cap_holds_when_the_probe_creates_the_pool_and_follows_reloads():
    with ms.start_gateway(config(3)) as gateway:
        ms.wait_for(lambda: probed(gateway), 10, "the probe to create the tenant's pool")
        expect(tdsd.control("reset") == "ok")
        statuses = burst(gateway.port, 45)
        expect(statuses == [200] * 45, statuses)
        peak = tdsd.stats()["peak_connections"]
        expect(1 <= peak <= 3, f"{peak} connections open at once, cap 3")

        # lowered live: the same pool shrinks to the new cap
        with open(gateway.config_path, "w") as f:
            f.write(config(1))
        import signal
        gateway.signal(signal.SIGHUP)
        expect(gateway.wait_for_line('"config reloaded"', 10) is not None, "reload")
        burst(gateway.port, 4)  # connections above the new cap close as they come back
        ms.wait_for(lambda: tdsd.stats()["connections"] <= 1, 10, "surplus connections to close")
        expect(tdsd.control("reset") == "ok")
        statuses = burst(gateway.port, 20)
        expect(statuses == [200] * 20, statuses)
        peak = tdsd.stats()["peak_connections"]
        expect(peak <= 1, f"{peak} connections open at once, cap lowered to 1")


try:
    harness.run_tests(dict(globals()))
finally:
    tdsd.stop()
