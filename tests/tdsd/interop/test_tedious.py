"""tedious (Node) against tdsd: node/tedious_check.js runs its checks on a tdsd this test
starts. The tedious version is pinned by node/package-lock.json (scripts/setup runs npm ci)."""

import os
import shutil
import subprocess

from tdsd_fixture import (DATABASE, HERE, PASSWORD, TLS_HOST, TLS_LOG, USER, expect, make_certificates,
                          run_tests, start_tdsd, start_tls_tdsd)

NODE_DIR = os.path.join(HERE, "node")
CA, CERT, BAD = make_certificates()


def run_node(server, args=(), host=None, **env_extra):
    """tedious_check.js against `server`; TDSD_CA etc. come in `env_extra`."""
    node = shutil.which("node")
    expect(node is not None, "node is not installed: run scripts/setup")
    expect(os.path.isdir(os.path.join(NODE_DIR, "node_modules", "tedious")),
           "tedious is not installed: run scripts/setup (npm ci --prefix tests/tdsd/interop/node)")
    env = dict(os.environ, TDSD_HOST=host or server.host, TDSD_PORT=str(server.port), TDSD_USER=USER,
               TDSD_DATABASE=DATABASE, TDSD_PASSWORD=PASSWORD, **env_extra)
    return subprocess.run([node, os.path.join(NODE_DIR, "tedious_check.js"), *args], env=env,
                          capture_output=True, text=True, timeout=180, cwd=NODE_DIR)


def test_tedious_checks():
    with start_tdsd() as server:
        result = run_node(server)
        print(result.stdout, end="")
        expect(result.returncode == 0, f"tedious checks failed:\n{result.stdout}{result.stderr}")
        expect(result.stdout.count("PASS ") >= 9, "fewer checks ran than expected")


def test_tedious_checks_over_tls_with_its_defaults_and_the_test_ca():
    with start_tls_tdsd(CERT, mode="required") as server:
        result = run_node(server, host=TLS_HOST, TDSD_CA=CA.cert)
        print(result.stdout, end="")
        expect(result.returncode == 0, f"tedious checks over TLS failed:\n{result.stdout}{result.stderr}")
        expect(result.stdout.count("PASS ") >= 9, "fewer checks ran than expected")
        expect(server.wait_for_line(TLS_LOG, 5), "tdsd did not log an encrypted session")


def test_tedious_without_the_ca_refuses_the_certificate():
    with start_tls_tdsd(CERT, mode="optional") as server:
        result = run_node(server, ["connect"], host=TLS_HOST, TDSD_ENCRYPT="default")
        expect(result.returncode == 1 and "CONNECT FAILED" in result.stdout,
               f"tedious trusted an unknown CA: {result.stdout}{result.stderr}")
        expect("certificate" in result.stdout, f"not a certificate error: {result.stdout}")


def test_tedious_rejects_a_wrong_name_and_an_expired_certificate():
    for cert in (BAD.wrong_name, BAD.expired):
        with start_tls_tdsd(cert, mode="required") as server:
            result = run_node(server, ["connect"], host=TLS_HOST, TDSD_CA=CA.cert)
            expect(result.returncode == 1 and "CONNECT FAILED" in result.stdout,
                   f"tedious accepted {cert.name}: {result.stdout}{result.stderr}")


def test_tedious_without_encryption_is_refused_by_mode_required():
    with start_tls_tdsd(CERT, mode="required") as server:
        result = run_node(server, ["connect"], host=TLS_HOST)  # encrypt: false = ENCRYPT_NOT_SUP
        expect(result.returncode == 1, f"an unencrypted tedious got in: {result.stdout}")
        expect(server.wait_for_line(r"ENCRYPT_NOT_SUP\) and tls mode is required", 5), "no refusal logged")


if __name__ == "__main__":
    run_tests(globals())
