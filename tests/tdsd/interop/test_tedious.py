"""tedious (Node) against tdsd: node/tedious_check.js runs its checks on a tdsd this test
starts. The tedious version is pinned by node/package-lock.json (scripts/setup runs npm ci)."""

import os
import shutil
import subprocess

from tdsd_fixture import DATABASE, HERE, PASSWORD, USER, expect, run_tests, start_tdsd

NODE_DIR = os.path.join(HERE, "node")


def test_tedious_checks():
    node = shutil.which("node")
    expect(node is not None, "node is not installed: run scripts/setup")
    expect(os.path.isdir(os.path.join(NODE_DIR, "node_modules", "tedious")),
           "tedious is not installed: run scripts/setup (npm ci --prefix tests/tdsd/interop/node)")
    with start_tdsd() as server:
        env = dict(os.environ, TDSD_HOST=server.host, TDSD_PORT=str(server.port), TDSD_USER=USER,
                   TDSD_DATABASE=DATABASE, TDSD_PASSWORD=PASSWORD)
        result = subprocess.run([node, os.path.join(NODE_DIR, "tedious_check.js")], env=env,
                                capture_output=True, text=True, timeout=180, cwd=NODE_DIR)
        print(result.stdout, end="")
        expect(result.returncode == 0, f"tedious checks failed:\n{result.stdout}{result.stderr}")
        expect(result.stdout.count("PASS ") >= 9, "fewer checks ran than expected")


if __name__ == "__main__":
    run_tests(globals())
