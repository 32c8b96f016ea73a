"""Shared helpers for the integration tests: start real servers, talk real HTTP.

Each server the tests need (tenant-gateway, tdsd, nginx, node) is started as a child
process that prints `... listening on ADDRESS:PORT` on stdout once ready; the harness
waits for that line, keeps draining the output (so a full pipe never blocks the child)
and stops the process at the end.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BUILD_DIR = os.environ.get("TG_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE_DIR = os.environ.get("TG_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
LISTEN_RE = re.compile(r"listening on (\S+):(\d+)")
METRIC_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
METRIC_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def build_path(*parts):
    return os.path.join(BUILD_DIR, *parts)


def source_path(*parts):
    return os.path.join(SOURCE_DIR, *parts)


class Server:
    """A child process that announces its port with a `listening on HOST:PORT` line.

    With `output_path`, its output goes to that file and is read only up to the listen
    line: benchmarks use it so that reading a busy server's log costs no CPU here."""

    def __init__(self, argv, env=None, ready_timeout=20.0, name=None, output_path=None):
        self.argv = argv
        self.name = name or os.path.basename(argv[0])
        self.lines = []
        self._lines_lock = threading.Condition()
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        if output_path:
            self._output = open(output_path, "w")
            self.proc = subprocess.Popen(argv, stdout=self._output, stderr=subprocess.STDOUT,
                                         env=full_env)
            self._reader = threading.Thread(target=self._follow_until_listening,
                                            args=(output_path,), daemon=True)
        else:
            self._output = None
            self.proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=full_env,
                text=True, bufsize=1)
            self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        match = self.wait_for_line(LISTEN_RE, ready_timeout)
        if match is None:
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n" + "\n".join(self.lines[-30:]))
        self.host, self.port = match.group(1), int(match.group(2))

    def _drain(self):
        for line in self.proc.stdout:
            with self._lines_lock:
                self.lines.append(line.rstrip("\n"))
                self._lines_lock.notify_all()
        with self._lines_lock:
            self._lines_lock.notify_all()

    def _follow_until_listening(self, path):
        with open(path) as f:
            while True:
                line = f.readline()
                if not line:
                    if self.proc.poll() is not None:
                        break
                    time.sleep(0.02)
                    continue
                with self._lines_lock:
                    self.lines.append(line.rstrip("\n"))
                    self._lines_lock.notify_all()
                if LISTEN_RE.search(line):
                    break
        with self._lines_lock:
            self._lines_lock.notify_all()

    def wait_for_line(self, pattern, timeout=10.0, start=0):
        """Returns the first match of `pattern` in output lines from index `start` on."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        index = start
        with self._lines_lock:
            while True:
                while index < len(self.lines):
                    match = regex.search(self.lines[index])
                    if match:
                        return match
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and index >= len(self.lines)):
                    return None
                self._lines_lock.wait(min(remaining, 0.2))

    def output(self):
        with self._lines_lock:
            return list(self.lines)

    def signal(self, signum):
        self.proc.send_signal(signum)

    def wait(self, timeout=30.0):
        return self.proc.wait(timeout)

    def stop(self, timeout=10.0):
        self._report_if_it_died()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        if self._output:
            self._output.close()
        return self.proc.returncode

    def _report_if_it_died(self):
        """A server that exited on its own with an error (a sanitizer report, a crash)
        leaves only a reset connection in the test: show what it printed last."""
        code = self.proc.poll()
        if code is None or code == 0:
            return
        self._reader.join(timeout=5)
        tail = "\n".join(self.output()[-60:])
        print(f"--- {self.name} exited on its own with code {code}; its last lines:\n{tail}",
              file=sys.stderr, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def write_temp(text, suffix=".yaml", directory=None):
    """Writes text to a new temporary file and returns its path (removed at exit)."""
    fd, path = tempfile.mkstemp(suffix=suffix, dir=directory)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    _temp_files.append(path)
    return path


_temp_files = []


def start_gateway(config_text, env=None, extra_args=(), output_path=None):
    """Starts build/tenant-gateway on a config given as YAML text (output: see Server)."""
    path = write_temp(config_text)
    server = Server([build_path("gateway", "tenant-gateway"), "--config", path, *extra_args],
                    env=env, name="tenant-gateway", output_path=output_path)
    server.config_path = path
    return server


def http_request(port, method, path, body=None, headers=None, host="127.0.0.1", timeout=10.0):
    """One request on a fresh connection; returns (status, headers dict lower-cased, body bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {})
            headers.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def http_json(port, method, path, body=None, headers=None, **kw):
    """Like http_request, with the body decoded as JSON."""
    status, hdrs, data = http_request(port, method, path, body, headers, **kw)
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        raise AssertionError(f"not JSON (status {status}): {data[:300]!r}")
    return status, hdrs, decoded


def raw_exchange(port, payload, timeout=5.0, read_until_close=True):
    """Sends raw bytes and returns everything read until the peer closes or times out."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if not read_until_close:
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


def expect(condition, message="expectation failed"):
    if not condition:
        raise AssertionError(message)


def expect_error(status, body, want_status, want_code):
    """Checks the design's JSON error shape: {"error":{"code","message","requestId"}}."""
    expect(status == want_status, f"status {status}, want {want_status}; body {body}")
    expect(isinstance(body, dict) and "error" in body, f"no error object: {body}")
    err = body["error"]
    expect(err.get("code") == want_code, f"code {err.get('code')}, want {want_code}")
    expect(err.get("message"), "empty error message")
    expect(err.get("requestId"), "no requestId")


def run_tests(namespace):
    """Runs every `test_*` function of a module in order; exits non-zero if any fails."""
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    failures = 0
    for name, fn in tests:
        started = time.monotonic()
        try:
            fn()
            print(f"PASS {name} ({time.monotonic() - started:.2f}s)", flush=True)
        except Exception:  # report every failure, then carry on with the next test
            failures += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
    for path in _temp_files:
        try:
            os.unlink(path)
        except OSError:
            pass
    print(f"{len(tests) - failures}/{len(tests)} passed", flush=True)
    sys.exit(1 if failures else 0)


def parse_metrics(text):
    """{(name, frozenset(label items)): value} of every sample of a Prometheus text page."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = METRIC_SAMPLE_RE.match(line)
        expect(match is not None, f"unparseable sample line {line!r}")
        labels = frozenset(METRIC_LABEL_RE.findall(match.group(3) or ""))
        samples[(match.group(1), labels)] = float(match.group(4))
    return samples


def metric_value(samples, name, **labels):
    """The value of the series of `name` whose labels include `labels` (None when there is
    none); `samples` is parse_metrics' result or the page's text."""
    if isinstance(samples, str):
        samples = parse_metrics(samples)
    wanted = set(labels.items())
    found = [v for (n, have), v in samples.items() if n == name and wanted <= have]
    expect(len(found) <= 1, f"{name} {labels} matches {len(found)} series")
    return found[0] if found else None


def scrape_metrics(port):
    """GET /metrics, parsed."""
    status, _, data = http_request(port, "GET", "/metrics")
    expect(status == 200, f"/metrics status {status}")
    return parse_metrics(data.decode())


# A login route over the stand-in Users table (tests/tdsd's demo schema), as YAML list
# items under `routes:`.
LOGIN_ROUTE_YAML = """  - method: POST
    path: /api/auth/login
    kind: login
    sql: >-
      SELECT UserId AS user_id, Username AS username, PasswordHash AS password_hash
      FROM Users WHERE Username = @username AND IsActive = 1
    params:
      - {name: username, from: body, type: string, required: true}"""


def tds_registry_yaml(port, refresh):
    """A `registry:` section reading the TenantRegistry database of tdsd on `port`."""
    return "\n".join(["registry:", "  source: tds", "  server: 127.0.0.1", f"  port: {port}",
                      "  database: TenantRegistry", "  user: registry_reader", "  encrypt: false",
                      "  credential_ref: env:TDSD_REGISTRY_PASSWORD", f"  refresh_interval: {refresh}"])
