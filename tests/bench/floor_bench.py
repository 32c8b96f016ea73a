"""The stack's floor on the bare /livez shapes: nginx, the gateway and two servers with no
gateway logic (tests/bench/stack_floor.cpp), side by side in one run, so the gateway's gap
to nginx splits into what the gateway adds on top of Beast and Asio and what Beast and
Asio themselves cost against nginx's own event loop.

Subjects (each on two cores, each logging a line per request to a file):
- nginx as proxy_bench.py tunes it (`return 200` on /livez, buffered access log);
- tenant-gateway's /livez (`io_threads: 2`, its access log on);
- stack_floor beast: Asio and Beast as the gateway uses them (a coroutine per connection,
  a request_parser per request, http::async_write), answering every request like /livez;
- stack_floor raw: Asio alone with callbacks and a request head found by scanning for its
  blank line: what an HTTP/1.1 layer of the gateway's own could at best reach on Asio.

With TG_BENCH_BASELINE naming another tenant-gateway binary, that build runs as a fifth
subject (`gateway-base`) on the same config: an A/B of a change with the floors beside it.

Per shape, rounds rotate the subjects' order; req/s over all rounds, p99 the median of the
rounds, CPU per request split into user and kernel time from /proc.

    TG_BUILD_DIR=build-bench /usr/bin/python3 tests/bench/floor_bench.py

Run by `scripts/bench floor`. TG_BENCH_DURATION and TG_BENCH_ROUNDS as for proxy_bench.py;
TG_BENCH_SHAPES picks shapes by name (bare-c64-ka, bare-c64-close, bare-c1-ka, bare-c1-close)."""

import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proxy_bench  # noqa: E402
from proxy_bench import Shape  # noqa: E402

SHAPES = [Shape("bare", c, ka, False) for c in (64, 1) for ka in (True, False)]
if os.environ.get("TG_BENCH_SHAPES"):  # e.g. bare-c64-ka,bare-c1-ka
    SHAPES = [s for s in SHAPES if s.name in os.environ["TG_BENCH_SHAPES"].split(",")]
SUBJECTS = ["nginx", "gateway", "floor-beast", "floor-raw"]
BASELINE = os.environ.get("TG_BENCH_BASELINE")
if BASELINE:
    SUBJECTS.append("gateway-base")


def user_and_kernel_seconds(pids):
    user = kernel = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        user += int(fields[11])
        kernel += int(fields[12])
    return user / proxy_bench.CLK_TCK, kernel / proxy_bench.CLK_TCK


class FloorServers:
    """The two stack_floor servers on ports of their own, and the baseline gateway if any."""

    def __init__(self, directory, gateway_config_path):
        binary = os.path.join(os.environ.get("TG_BUILD_DIR", "build-bench"), "tests/bench/stack_floor")
        self.procs, self.ports = {}, {}
        for mode in ("beast", "raw"):
            port = proxy_bench.proxy_support.free_port()
            self.procs[mode] = subprocess.Popen([binary, mode, str(port), os.path.join(directory, f"{mode}.log")])
            self.ports[mode] = port
            proxy_bench.wait_for_port(port)
        self.baseline = None
        if BASELINE:
            self.baseline = proxy_bench.harness.Server(
                [BASELINE, "--config", gateway_config_path], env=proxy_bench.proxy_support.GATEWAY_ENV,
                name="gateway-base", output_path=os.path.join(directory, "gateway-base.log"))

    def stop(self):
        for proc in self.procs.values():
            proc.terminate()
            proc.wait()
        if self.baseline:
            self.baseline.stop()


def run(stack, floors, name, shape, seconds):
    if name.startswith("floor-"):
        mode = name.split("-", 1)[1]
        pids, url = [floors.procs[mode].pid], f"http://127.0.0.1:{floors.ports[mode]}/livez"
    elif name == "gateway-base":
        pids, url = [floors.baseline.proc.pid], f"http://127.0.0.1:{floors.baseline.port}/livez"
    else:
        pids, url = stack.pids(name), stack.url(name, shape)
    user0, kernel0 = user_and_kernel_seconds(pids)
    result = proxy_bench.run_wrk(shape, url, pids, seconds)
    user1, kernel1 = user_and_kernel_seconds(pids)
    result["user"], result["kernel"] = user1 - user0, kernel1 - kernel0
    return result


def measure_shape(stack, floors, shape, rounds, seconds):
    for name in SUBJECTS:
        run(stack, floors, name, shape, 1)  # warm-up
    runs = {name: [] for name in SUBJECTS}
    for r in range(rounds):
        order = SUBJECTS[r % len(SUBJECTS):] + SUBJECTS[:r % len(SUBJECTS)]
        for name in (order if r % 2 == 0 else list(reversed(order))):
            runs[name].append(run(stack, floors, name, shape, seconds))
    out = {}
    for name, rs in runs.items():
        requests = max(sum(r["requests"] for r in rs), 1)
        out[name] = {
            "rps": statistics.mean(r["rps"] for r in rs),
            "p99": statistics.median(r["p99"] for r in rs),
            "user_us": sum(r["user"] for r in rs) / requests * 1e6,
            "kernel_us": sum(r["kernel"] for r in rs) / requests * 1e6,
            "errors": sum(r["non2xx"] + r["socket_errors"] for r in rs),
        }
    return out


def report(results, rounds, seconds):
    print(f"stack floor: bare /livez, {rounds} rotating rounds of {seconds}s per shape; every subject logs "
          "each request; ratios against nginx")
    head = (f"{'shape / subject':<34}{'req/s':>9}{'p99 ms':>8}{'user us':>9}{'kernel us':>10}{'CPU us':>8}"
            f"{'req/s':>8}{'CPU':>7}{'errors':>8}")
    print(head)
    print("-" * len(head))
    for shape, r in results:
        print(shape.label)
        n = r["nginx"]
        n_cpu = n["user_us"] + n["kernel_us"]
        for name in SUBJECTS:
            s = r[name]
            cpu = s["user_us"] + s["kernel_us"]
            print(f"  {name:<32}{s['rps']:>9.0f}{s['p99']:>8.3f}{s['user_us']:>9.1f}{s['kernel_us']:>10.1f}"
                  f"{cpu:>8.1f}{s['rps'] / n['rps']:>7.2f}x{cpu / n_cpu:>6.2f}x{s['errors']:>8}")


def main():
    rounds, seconds = proxy_bench.ROUNDS, proxy_bench.DURATION
    stack = proxy_bench.Stack(tls=False)
    floors = FloorServers(stack.dir, stack.gateway.config_path)
    try:
        results = []
        for shape in SHAPES:
            results.append((shape, measure_shape(stack, floors, shape, rounds, seconds)))
            print(f"[floor {time.strftime('%H:%M:%S')}] {shape.name} done", file=sys.stderr, flush=True)
    finally:
        floors.stop()
        stack.stop()
    report(results, rounds, seconds)


if __name__ == "__main__":
    main()
