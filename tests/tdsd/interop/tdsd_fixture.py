"""Starts tdsd on interop.yaml for one interop test, through the integration harness."""

import atexit
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

import harness  # noqa: E402  (found through the paths above)
import tls_material  # noqa: E402

# The name TLS clients connect to; the test certificate carries it and 127.0.0.1.
TLS_HOST = "localhost"
TLS_LOG = r"TLS TLSv1\.2 \S+ \(whole session\)"

PASSWORD = "interop-Secret-1"
USER = "interop"
DATABASE = "InteropDB"


def tdsd_binary():
    return os.environ.get("TDSD_BIN") or harness.build_path("tests", "tdsd", "tdsd")


def dblib_client_binary():
    return os.environ.get("DBLIB_CLIENT") or harness.build_path("tests", "tdsd", "interop", "dblib_client")


def start_tdsd(config=os.path.join(HERE, "interop.yaml")):
    """A running tdsd on `config` (stop it with .stop() or a with-block)."""
    return harness.Server([tdsd_binary(), "--config", config],
                          env={"TDSD_PASSWORD": PASSWORD}, name="tdsd")


def make_certificates():
    """(ca, server_cert, bad_certs) for TLS_HOST in a temp dir removed at exit."""
    directory = tempfile.mkdtemp(prefix="tdsd-tls-")
    atexit.register(shutil.rmtree, directory, True)
    ca = tls_material.make_ca(directory, "tdsd interop CA")
    names = dict(dns=[TLS_HOST], ips=["127.0.0.1"])
    cert = tls_material.make_server_cert(ca, directory, "tdsd", **names)
    return ca, cert, tls_material.make_bad_certs(ca, directory, **names)


def tls_config(cert, mode="required"):
    """interop.yaml with `tls: {cert, key, mode}` added, as a temp file."""
    with open(os.path.join(HERE, "interop.yaml")) as f:
        text = f.read()
    # The copy lives elsewhere: its init script path must not be relative.
    text = text.replace("init: [interop.sql]", f"init: [{os.path.join(HERE, 'interop.sql')}]")
    return harness.write_temp(text + f"tls: {{cert_file: {cert.cert}, key_file: {cert.key}, mode: {mode}}}\n")


def start_tls_tdsd(cert, mode="required"):
    """A running tdsd on interop.yaml that speaks TLS with `cert`."""
    return start_tdsd(tls_config(cert, mode))


def freetds_conf(server, encryption, ca_file=None, section="tdsd_tls"):
    """A freetds.conf (temp file) with one server section for `server`; returns its path."""
    lines = [f"[{section}]", f"\thost = {TLS_HOST}", f"\tport = {server.port}", "\ttds version = 7.4",
             f"\tencryption = {encryption}"]
    if ca_file:
        lines += [f"\tca file = {ca_file}", "\tcheck certificate hostname = yes"]
    return harness.write_temp("\n".join(lines) + "\n", suffix=".conf")


def client_env():
    env = dict(os.environ)
    env["TDSD_PASSWORD"] = PASSWORD
    return env


expect = harness.expect
run_tests = harness.run_tests
