"""Upstreams for the proxy tests: the Node stand-in app (proxy_upstream.js), Debian's
nginx serving files, and gateway configurations with proxy routes in front of them."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import harness

NODE = shutil.which("node") or "/usr/bin/node"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def start_node_upstream(name="app"):
    """Starts proxy_upstream.js; returns a harness.Server with .port."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proxy_upstream.js")
    return harness.Server([NODE, script, name], name=f"node-{name}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_as_nginx(host, port):
    """True when an HTTP request to host:port is answered by nginx (its Server header), not
    by whatever else may have taken the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.settimeout(1.0)
            sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
    except OSError:
        return False
    return re.search(rb"(?im)^server: nginx", head) is not None


class Nginx:
    """Debian's nginx in the foreground on a temp prefix, serving `root` on a free port
    (or running `server_body` in its server block instead)."""

    def __init__(self, root, extra_http="", listen_address="127.0.0.1", server_body=None):
        self.dir = tempfile.mkdtemp(prefix="tg-nginx-")
        self._root, self._extra_http = root, extra_http
        self._listen_address, self._server_body = listen_address, server_body
        # The free port is free only when it is picked: a test running beside this one can
        # take it before nginx binds it. Then nginx fails at once and another port is tried.
        for _ in range(5):
            self.port = free_port()
            error = self._start()
            if error is None:
                return
            if "Address already in use" not in error:
                raise RuntimeError("nginx failed: " + error)
        raise RuntimeError("nginx found no free port: " + error)

    def _write_config(self):
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
daemon off;
master_process off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  sendfile on;
  keepalive_requests 100000;
  default_type application/octet-stream;
  {self._extra_http}
  server {{
    listen {self._listen_address}:{self.port};
    {self._server_body or f"root {self._root};"}
  }}
}}
""")
        return conf

    def _start(self):
        """Starts nginx on self.port; None once it answers, else what it printed."""
        conf = self._write_config()
        self.proc = subprocess.Popen([NGINX, "-e", "stderr", "-p", self.dir, "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        probe = "127.0.0.1" if self._listen_address == "0.0.0.0" else self._listen_address
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if answers_as_nginx(probe, self.port):
                return None
            if self.proc.poll() is not None:
                return self.proc.stderr.read().decode()
            time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def gateway_config(upstreams, routes, limits=""):
    """A gateway configuration: tenant ACME, the given upstreams and proxy routes."""
    return f"""
listen: {{address: 127.0.0.1, port: 0, io_threads: 2}}
limits:
  max_body_bytes: 1048576
  read_timeout: 10s
  write_timeout: 10s
{limits}
tenants:
  - code: ACME
    name: ACME Corporation
    server: 127.0.0.1
    database: FieldServiceDB_ACME
    credential_ref: env:TG_TEST_SECRET
    encrypt: false
routes:
{routes}
upstreams:
{upstreams}
"""


GATEWAY_ENV = {"TG_TEST_SECRET": "unused"}


def vm_hwm_kib(pid):
    """Peak resident set size of a process, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def read_response(sock):
    """One HTTP/1.1 response with a Content-Length: (status, body bytes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        harness.expect(part, f"closed before the header ended: {data[:200]!r}")
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:"))
    while len(body) < length:
        part = sock.recv(65536)
        harness.expect(part, f"closed after {len(body)} of {length} body bytes")
        body += part
    return status, body[:length]
