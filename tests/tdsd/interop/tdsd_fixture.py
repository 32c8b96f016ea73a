"""Starts tdsd on interop.yaml for one interop test, through the integration harness."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

import harness  # noqa: E402  (found through the path above)

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


def client_env():
    env = dict(os.environ)
    env["TDSD_PASSWORD"] = PASSWORD
    return env


expect = harness.expect
run_tests = harness.run_tests
