"""Rate limits shared by several instances (rate_limits.shared): three gateways and a real
redis-server, clients over real HTTP.

- A tenant limited to 30 req/s (burst 30) flooded through all three instances at once
  gets about one bucket's worth in all, not three: the instances split the bucket by
  their demand, exchanged through Redis every 50 ms.
- With all of a tenant's requests on one instance (affinity at the balancer), that
  instance keeps the whole bucket, not a third of it.
- Redis killed: every instance enforces the limit alone again (three buckets' worth, never
  unlimited), /metrics says so, and the outage is logged once per instance."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect  # noqa: E402
from test_shared_login_limit import Redis  # noqa: E402

RATE, BURST = 30, 30
SECONDS = 3.0
PER_INSTANCE_RATE = 120  # offered req/s per instance: 4x the tenant's limit on each

CONFIG = """
listen: {{address: 127.0.0.1, port: 0, io_threads: 1}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TG_TEST_DB_PASSWORD
health: {{probe_interval: 1h}}
rate_limits:
  shared: {{redis: "redis://127.0.0.1:{redis}/0", key_prefix: "tg-rate-test:", timeout: 50ms, sync_interval: 50ms}}
tenants:
  - {{code: ACME, server: 127.0.0.1, port: 9, database: FieldServiceDB, rate_limit_per_second: {rate}, rate_limit_burst: {burst}}}
  - {{code: GLOBEX, server: 127.0.0.1, port: 9, database: FieldServiceDB, rate_limit_per_second: {rate}, rate_limit_burst: {burst}}}
  - {{code: INITECH, server: 127.0.0.1, port: 9, database: FieldServiceDB, rate_limit_per_second: {rate}, rate_limit_burst: {burst}}}
routes:
  - {{methods: [GET], path: /api/echo, kind: echo}}
"""

# Paced clients in their own process (one thread per instance), so the gateways see
# the offered rate whatever this process does; prints "<status>:<count> ...".
FLOODER = r"""
import http.client, sys, threading, time
code, rate, seconds, ports = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), [int(p) for p in sys.argv[4:]]
counts, lock = {}, threading.Lock()
def run(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    start = time.monotonic()
    sent = 0
    while time.monotonic() - start < seconds:
        conn.request("GET", "/api/echo?company=" + code)
        r = conn.getresponse(); r.read()
        with lock:
            counts[r.status] = counts.get(r.status, 0) + 1
        sent += 1
        time.sleep(max(0.0, start + sent / rate - time.monotonic()))
threads = [threading.Thread(target=run, args=(p,)) for p in ports]
for t in threads: t.start()
for t in threads: t.join()
print(" ".join(f"{k}:{v}" for k, v in sorted(counts.items())))
"""


def flood(code, ports):
    out = subprocess.run([sys.executable, "-c", FLOODER, code, str(PER_INSTANCE_RATE), str(SECONDS),
                          *map(str, ports)], capture_output=True, text=True, timeout=60, check=True)
    counts = {int(k): int(v) for k, v in (part.split(":") for part in out.stdout.split())}
    expect(set(counts) <= {200, 429}, counts)
    return counts.get(200, 0), counts.get(429, 0)


def one_bucket():
    """What one bucket admits over the flood: its burst plus its rate."""
    return BURST + RATE * SECONDS


def shared_up(port):
    return harness.metric_value(harness.scrape_metrics(port), "tenant_gateway_rate_limit_shared_up")


def wait_shared(gateways, up):
    deadline = time.monotonic() + 10
    while any(shared_up(g.port) != (1 if up else 0) for g in gateways):
        expect(time.monotonic() < deadline, f"rate_limit_shared_up never became {int(up)}")
        time.sleep(0.05)


def test_three_instances_share_one_bucket_and_fall_back_alone():
    redis = Redis()
    gateways = []
    try:
        config = CONFIG.format(redis=redis.port, rate=RATE, burst=BURST)
        env = dict(os.environ, TG_TEST_DB_PASSWORD="unused")
        gateways = [harness.start_gateway(config, env=env) for _ in range(3)]
        ports = [g.port for g in gateways]
        wait_shared(gateways, True)

        # spread over three instances: about one bucket in all
        allowed, refused = flood("ACME", ports)
        print(f"spread over 3 instances: {allowed} allowed, {refused} refused "
              f"(one bucket: {one_bucket():.0f}, three: {3 * one_bucket():.0f})", flush=True)
        expect(refused > 0, "the flood was never limited")
        expect(0.7 * one_bucket() <= allowed <= 1.5 * one_bucket(), ("shared", allowed, one_bucket()))

        # all on one instance (affinity): it keeps the whole bucket
        allowed, refused = flood("GLOBEX", ports[:1])
        print(f"on one instance: {allowed} allowed, {refused} refused", flush=True)
        expect(0.8 * one_bucket() <= allowed <= 1.2 * one_bucket(), ("one instance", allowed, one_bucket()))

        samples = harness.scrape_metrics(ports[0])
        ok = harness.metric_value(samples, "tenant_gateway_rate_limit_shared_exchanges_total", result="ok")
        expect(ok and ok > 10, ("exchanges", ok))

        # Redis gone: each instance alone, three buckets' worth, still limited
        redis.stop()
        wait_shared(gateways, False)
        allowed, refused = flood("INITECH", ports)
        print(f"Redis down, spread over 3 instances: {allowed} allowed, {refused} refused", flush=True)
        expect(refused > 0, "limits open while Redis is down")
        expect(2.4 * one_bucket() <= allowed <= 3.3 * one_bucket(), ("alone", allowed, 3 * one_bucket()))
        for gateway in gateways:
            expect(gateway.stop() == 0, "exit code after SIGTERM")
            lost = [line for line in gateway.output() if "shared rate limits unavailable" in line]
            expect(len(lost) == 1, ("the outage is logged once", lost))
            expect("tg-rate-test" not in "".join(gateway.output()), "no bucket key in the logs")
    finally:
        for gateway in gateways:
            gateway.stop()
        redis.stop()


if __name__ == "__main__":
    harness.run_tests(globals())
