"""FreeTDS db-lib against tdsd: dblib_client (built here, linked to Debian's libsybdb)
runs its checks; this test starts tdsd for it and reads its PASS/FAIL lines."""

import subprocess

from tdsd_fixture import (DATABASE, USER, client_env, dblib_client_binary, expect,
                          run_tests, start_tdsd)


def run_client(server, mode, user=USER, database=DATABASE, timeout=120):
    address = f"{server.host}:{server.port}"
    return subprocess.run([dblib_client_binary(), mode, address, user, database],
                          env=client_env(), capture_output=True, text=True, timeout=timeout)


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
        expect(result.stdout.count("PASS ") >= 9, "fewer checks ran than expected")


if __name__ == "__main__":
    run_tests(globals())
