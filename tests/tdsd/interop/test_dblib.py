"""FreeTDS db-lib against tdsd: dblib_client (built here, linked to Debian's libsybdb)
runs its checks; this test starts tdsd for it and reads its PASS/FAIL lines."""

import subprocess

from tdsd_fixture import (DATABASE, TLS_LOG, USER, client_env, dblib_client_binary, expect,
                          freetds_conf, make_certificates, run_tests, start_tdsd, start_tls_tdsd)

CA, CERT, BAD = make_certificates()


def run_client(server, mode, user=USER, database=DATABASE, timeout=120, conf=None):
    """With `conf` (a freetds.conf), db-lib opens its section tdsd_tls instead of HOST:PORT."""
    address = "tdsd_tls" if conf else f"{server.host}:{server.port}"
    env = client_env()
    if conf:
        env["FREETDSCONF"] = conf
    return subprocess.run([dblib_client_binary(), mode, address, user, database],
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_login_good_and_bad():
    with start_tdsd() as server:
        good = run_client(server, "login")
        expect(good.returncode == 0, f"good login failed: {good.stdout}{good.stderr}")
        expect("login ok" in good.stdout, good.stdout)
        bad = run_client(server, "login", user="nobody")
        expect(bad.returncode == 1, f"unknown user logged in: {bad.stdout}")
        expect("18456" in bad.stdout, f"want error 18456: {bad.stdout}")


def test_dblib_suite():
    with start_tdsd() as server:
        result = run_client(server, "suite")
        print(result.stdout, end="")
        expect(result.returncode == 0, f"db-lib checks failed:\n{result.stdout}{result.stderr}")
        expect("FAIL" not in result.stdout, result.stdout)
        expect(result.stdout.count("PASS ") >= 10, "fewer checks ran than expected")


def test_dblib_suite_over_tls_with_ca_file():
    with start_tls_tdsd(CERT, mode="required") as server:
        result = run_client(server, "suite", conf=freetds_conf(server, "require", CA.cert))
        print(result.stdout, end="")
        expect(result.returncode == 0, f"db-lib checks over TLS failed:\n{result.stdout}{result.stderr}")
        expect(result.stdout.count("PASS ") >= 10, "fewer checks ran than expected")
        expect(server.wait_for_line(TLS_LOG, 5), "tdsd did not log an encrypted session")


def test_dblib_rejects_an_expired_certificate():
    with start_tls_tdsd(BAD.expired, mode="required") as server:
        result = run_client(server, "login", conf=freetds_conf(server, "require", CA.cert))
        expect(result.returncode == 1, f"an expired certificate was accepted: {result.stdout}")
        expect(not server.wait_for_line(r"login ok", 1), "logged in anyway")


if __name__ == "__main__":
    run_tests(globals())
