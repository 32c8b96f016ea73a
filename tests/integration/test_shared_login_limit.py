"""Failed logins counted in Redis for every instance (auth.login_limit.shared): two
gateways share one real redis-server, so attempts spread over both hit one budget. Then
Redis hangs (SIGSTOP) and dies (SIGKILL): logins keep answering within bounded time,
and the limiter keeps refusing on each instance's own counts (it never fails open)."""

import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_gateway_login as gl  # noqa: E402

BUDGET = 5
# A login that falls back to the local limiter waits at most the 50 ms timeout; the rest
# is a cost-4 bcrypt check and the database round trip. Generous for a loaded 2-core box.
ANSWER_BOUND = 1.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """A throw-away redis-server on a free loopback port: no persistence at all."""

    def __init__(self):
        for _ in range(5):  # a parallel test may take the free port first
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if redis_ping(self.port):
                    return
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()  # also ends a stopped (SIGSTOP) server
            self.proc.wait(10)


SERVERS = {}


def start_gateway(tdsd, redis):
    limits = (f"max_failures: {BUDGET}, per_address_max_failures: 1000, window: 5m, "
              f'shared: {{redis: "redis://127.0.0.1:{redis.port}/0", key_prefix: "tg-test:", timeout: 50ms}}')
    return gl.start_gateway(tdsd, limits)


def wait_for_shared(port, up, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = harness.metric_value(harness.scrape_metrics(port), "tenant_gateway_login_limiter_shared_up")
        if value == (1 if up else 0):
            return
        expect(time.monotonic() < deadline, f"shared_up is {value}, wanted {int(up)}")
        time.sleep(0.05)


def timed_login(port, tenant, user, password, source):
    status, headers, body, took = gl.login(port, tenant, user, password, source=source)
    expect(took < ANSWER_BOUND, f"a login took {took:.3f} s")
    return status, headers, body


def test_failed_logins_over_two_instances_share_one_budget():
    gateways = [SERVERS["a"].port, SERVERS["b"].port]
    for port in gateways:
        wait_for_shared(port, up=True)
    for i in range(BUDGET):  # 3 on one instance, 2 on the other
        status, _, body = timed_login(gateways[i % 2], "CHEAP", "ops@x", f"wrong-{i}", "127.0.0.50")
        expect_error(status, body, 401, "invalid_credentials")
    for port in gateways:  # each counted fewer than the budget itself
        status, headers, body = timed_login(port, "CHEAP", "ops@x", gl.PASSWORD["CHEAP"], "127.0.0.51")
        expect_error(status, body, 429, "too_many_attempts")
        expect(int(headers["retry-after"]) > 60, headers)
    # another account is not touched
    status, _, body = timed_login(gateways[1], "CHEAP", "user1@x", gl.PASSWORD["CHEAP"], "127.0.0.51")
    expect(status == 200 and body.get("token"), f"{status} {body}")


def refusals_stay_within_the_local_budget(port, user, source):
    """Wrong passwords for a fresh account on one instance: at most BUDGET are checked
    before 429, all answered in bounded time."""
    checked = 0
    for i in range(BUDGET + 2):
        status, _, body = timed_login(port, "CHEAP", user, f"wrong-{i}", source)
        if status == 429:
            expect_error(status, body, 429, "too_many_attempts")
            return checked
        expect_error(status, body, 401, "invalid_credentials")
        checked += 1
    expect(False, f"{checked} wrong passwords for {user} were checked without a 429")


def test_a_hung_redis_costs_at_most_its_timeout_and_never_opens_the_limiter():
    redis = SERVERS["redis"]
    gateways = [SERVERS["a"].port, SERVERS["b"].port]
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        # the lockout learned from Redis holds on both instances
        for port in gateways:
            status, _, body = timed_login(port, "CHEAP", "ops@x", gl.PASSWORD["CHEAP"], "127.0.0.52")
            expect_error(status, body, 429, "too_many_attempts")
        checked = refusals_stay_within_the_local_budget(gateways[0], "user2@x", "127.0.0.52")
        expect(checked <= BUDGET, checked)
        samples = harness.scrape_metrics(gateways[0])
        errors = sum(harness.metric_value(samples, "tenant_gateway_login_limiter_shared_errors_total",
                                          reason=r) or 0 for r in ("down", "timeout", "error"))
        expect(errors >= 1, f"no fallback counted: {errors}")
    finally:
        redis.proc.send_signal(signal.SIGCONT)


def test_a_dead_redis_leaves_each_instance_its_local_limiter():
    redis = SERVERS["redis"]
    gateways = [SERVERS["a"].port, SERVERS["b"].port]
    redis.stop()
    for port in gateways:
        status, _, body = timed_login(port, "CHEAP", "ops@x", gl.PASSWORD["CHEAP"], "127.0.0.53")
        expect_error(status, body, 429, "too_many_attempts")
    for port, user in zip(gateways, ("user3@x", "user4@x")):
        checked = refusals_stay_within_the_local_budget(port, user, "127.0.0.53")
        expect(checked <= BUDGET, checked)
        wait_for_shared(port, up=False)
        samples = harness.scrape_metrics(port)
        down = harness.metric_value(samples, "tenant_gateway_login_limiter_shared_errors_total", reason="down")
        expect(down and down >= 1, f"errors_total{{reason=down}} is {down}")
    # the outage is logged once, not per login
    for name in ("a", "b"):
        lost = [line for line in SERVERS[name].output() if "shared login limits unavailable" in line]
        expect(1 <= len(lost) <= 2, f"{len(lost)} outage lines: {lost}")
        expect(all("127.0.0.1" in line for line in lost), lost)


if __name__ == "__main__":
    try:
        SERVERS["tdsd"] = gl.start_tdsd()
        SERVERS["redis"] = Redis()
        SERVERS["a"] = start_gateway(SERVERS["tdsd"], SERVERS["redis"])
        SERVERS["b"] = start_gateway(SERVERS["tdsd"], SERVERS["redis"])
        harness.run_tests(dict(globals()))
    finally:
        for server in SERVERS.values():
            server.stop()
