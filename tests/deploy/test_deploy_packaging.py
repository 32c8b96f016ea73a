"""Packaging: `cmake --install` into a scratch prefix, the installed systemd unit through
`systemd-analyze verify`, and every manifest of deploy/kubernetes/ through the Kubernetes
schema (validate_manifests.js) plus the checks a schema cannot make: probes, preStop,
sandboxing, and a ConfigMap that `tenant-gateway --check-config` accepts with exactly the
environment the Deployment gives it.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import BUILD_DIR, SOURCE_DIR, run_tests  # noqa: E402

MANIFEST_DIR = os.path.join(SOURCE_DIR, "deploy", "kubernetes")
ENV_REF_RE = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Directives the unit must keep: the sandbox the issue asks for.
UNIT_REQUIRED = [
    "Type=exec", "DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes",
    "NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
    "StateDirectory=tenant-gateway", "ExecReload=/bin/kill -HUP $MAINPID",
    "Restart=on-failure",
]


def run(argv, env=None, expect=0):
    """Runs argv and returns its output; fails the test on another exit code."""
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    if proc.returncode != expect:
        raise AssertionError(f"{shlex.join(argv)}: exit {proc.returncode}, expected {expect}\n"
                             f"{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def env_refs(config_text):
    """Environment variables a configuration names (env:NAME, ${NAME}), comments left out."""
    names = set()
    for line in config_text.splitlines():
        code = line.split("#", 1)[0]
        for match in ENV_REF_RE.finditer(code):
            names.add(match.group(1) or match.group(2))
    return names


def dummy_env(names):
    """A minimal environment with each name set to a placeholder secret."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update({name: "placeholder-secret-for-check-config" for name in names})
    return env


def unit_lines(unit_text):
    return [line.strip() for line in unit_text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def check_install(prefix):
    out = run(["cmake", "--install", BUILD_DIR, "--prefix", prefix])
    binary = os.path.join(prefix, "bin", "tenant-gateway")
    config = os.path.join(prefix, "etc", "tenant-gateway", "gateway.yaml")
    unit = os.path.join(prefix, "lib", "systemd", "system", "tenant-gateway.service")
    example = os.path.join(prefix, "share", "doc", "tenant-gateway", "gateway.example.yaml")
    nginx_recipe = os.path.join(prefix, "share", "doc", "tenant-gateway", "tenant-gateway.conf")
    for path in (binary, config, unit, example, nginx_recipe):
        assert os.path.isfile(path), f"not installed: {path}\n{out}"
    assert os.access(binary, os.X_OK), binary
    version = run([binary, "--version"])
    assert re.match(r"tenant-gateway \d+\.\d+\.\d+", version), version

    # A second install keeps an edited configuration.
    with open(config, "a") as f:
        f.write("# edited by the operator\n")
    run(["cmake", "--install", BUILD_DIR, "--prefix", prefix])
    with open(config) as f:
        assert f.read().endswith("# edited by the operator\n"), "reinstall overwrote gateway.yaml"
    return binary, config, unit


def check_unit(binary, config, unit):
    with open(unit) as f:
        lines = unit_lines(f.read())
    for directive in UNIT_REQUIRED:
        assert directive in lines, f"unit lacks {directive!r}"
    exec_start = f"ExecStart={binary} --config {config}"
    assert exec_start in lines, f"unit lacks {exec_start!r}"
    pre = next(line for line in lines if line.startswith("ExecStartPre="))
    assert not any("@TG_" in line for line in lines), "an @TG_...@ was left unreplaced"

    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze not found (scripts/setup installs systemd)"
    # --man=no: Documentation= is a file:// link; verify would look up man pages otherwise.
    out = run([analyze, "verify", "--man=no", unit])
    assert "tenant-gateway.service" not in out, f"systemd-analyze verify warned:\n{out}"

    # ExecStartPre as the unit runs it, with the example's secrets set as the env file would.
    with open(config) as f:
        names = env_refs(f.read())
    out = run(shlex.split(pre.split("=", 1)[1]), env=dummy_env(names))
    assert "config OK" in out, out


def validate_manifests(directory):
    """Runs the schema validator; returns (exit code, parsed manifests, stderr)."""
    node_modules = os.path.join(HERE, "node_modules")
    assert os.path.isdir(node_modules), "tests/deploy/node_modules missing: run scripts/setup"
    proc = subprocess.run(["node", os.path.join(HERE, "validate_manifests.js"), directory],
                          capture_output=True, text=True, timeout=60)
    manifests = json.loads(proc.stdout)["manifests"] if proc.stdout.strip() else []
    return proc.returncode, manifests, proc.stderr


def check_validator_rejects(scratch):
    """A manifest broken on purpose must fail: the validator is not a rubber stamp."""
    broken_dir = os.path.join(scratch, "broken")
    os.makedirs(broken_dir)
    with open(os.path.join(MANIFEST_DIR, "deployment.yaml")) as f:
        text = f.read()
    broken = text.replace("containerPort: 8080", 'containerPort: "8080"', 1)
    assert broken != text
    with open(os.path.join(broken_dir, "deployment.yaml"), "w") as f:
        f.write(broken)
    code, _, err = validate_manifests(broken_dir)
    assert code != 0 and "containerPort" in err, f"broken manifest accepted: {code} {err}"


def by_kind(manifests):
    out = {}
    for m in manifests:
        out.setdefault(m["object"]["kind"], []).append(m["object"])
    return out


def seconds(duration):
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", duration)
    assert match, duration
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def container_env_names(container):
    return {e["name"] for e in container.get("env", [])}


def check_deployment(deployment, config_maps):
    pod = deployment["spec"]["template"]
    spec = pod["spec"]
    [container] = spec["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    pre_stop = container["lifecycle"]["preStop"]
    pause = pre_stop["sleep"]["seconds"] if "sleep" in pre_stop else 0
    assert pause > 0, "preStop must pause before SIGTERM"
    resources = container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"]
    assert resources["limits"]["memory"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]

    # --config names a key of the ConfigMap mounted at its directory.
    args = container["args"]
    config_path = args[args.index("--config") + 1]
    mount = next(m for m in container["volumeMounts"]
                 if config_path.startswith(m["mountPath"].rstrip("/") + "/"))
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    config_map = config_maps[volume["configMap"]["name"]]
    key = config_path[len(mount["mountPath"].rstrip("/")) + 1:]
    config_text = config_map["data"][key]

    # Secrets come from a Secret by reference, and cover every env: / ${} of the config.
    for entry in container.get("env", []):
        assert "value" not in entry or not entry["name"].endswith(("PASSWORD", "SECRET")), entry
    missing = env_refs(config_text) - container_env_names(container)
    assert not missing, f"the config needs {sorted(missing)}, the Deployment sets none of them"

    grace = spec["terminationGracePeriodSeconds"]
    drain_match = re.search(r"drain_timeout:\s*(\S+)", config_text)
    drain = seconds(drain_match.group(1)) if drain_match else 30
    assert grace > pause + drain, f"grace {grace}s <= preStop {pause}s + drain {drain}s"
    port_match = re.search(r"^\s*port:\s*(\d+)", config_text, re.M)
    assert port_match and int(port_match.group(1)) == container["ports"][0]["containerPort"]
    return config_text, container


def check_manifests(scratch):
    code, manifests, err = validate_manifests(MANIFEST_DIR)
    assert code == 0, f"deploy/kubernetes/ failed schema validation:\n{err}"
    kinds = by_kind(manifests)
    for kind in ("Deployment", "Service", "ConfigMap", "PodDisruptionBudget",
                 "HorizontalPodAutoscaler"):
        assert kind in kinds, f"deploy/kubernetes/ has no {kind}"
    assert "Secret" not in kinds, "secrets are referenced by name, never committed"
    [deployment] = kinds["Deployment"]
    config_maps = {c["metadata"]["name"]: c for c in kinds["ConfigMap"]}
    config_text, container = check_deployment(deployment, config_maps)

    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for service in kinds["Service"]:
        assert service["spec"]["selector"].items() <= labels.items(), "Service selects no pod"
    for pdb in kinds["PodDisruptionBudget"]:
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for hpa in kinds["HorizontalPodAutoscaler"]:
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]

    config_file = os.path.join(scratch, "gateway.yaml")
    with open(config_file, "w") as f:
        f.write(config_text)
    binary = os.path.join(BUILD_DIR, "gateway", "tenant-gateway")
    out = run([binary, "--check-config", config_file],
              env=dummy_env(container_env_names(container)))
    assert "config OK" in out, out


def scratch_dir():
    return tempfile.mkdtemp(prefix="tg-deploy-")


def test_install_and_systemd_unit():
    scratch = scratch_dir()
    try:
        check_unit(*check_install(os.path.join(scratch, "prefix")))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_validator_rejects_a_broken_manifest():
    scratch = scratch_dir()
    try:
        check_validator_rejects(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_kubernetes_manifests():
    scratch = scratch_dir()
    try:
        check_manifests(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    run_tests(dict(globals()))
