"""The OpenAPI contract (/openapi.json, `tenant-gateway --openapi`) against the gateway's
real answers.

The gateway runs conf/demo.yaml in front of tdsd servers (our own server with the
registry, DCPSP and DEMO; ACME's own server), as test_e2e_flow does. The served
document must pass an independent OpenAPI 3.1 validator (@apidevtools/swagger-parser,
tests/contract/) and equal what the CLI prints for the same file. Then every route of
the document is called with values drawn from its own schemas (defaults, examples,
patterns), with at least one invalid value per constrained parameter, without a token,
with another tenant's token and for unknown or missing tenants; every answer's status
must be documented for its operation and its headers and body must validate against the
documented schemas (Ajv, JSON Schema 2020-12). A checker that cannot fail proves
nothing: the same answers must be refused against documents with a status or a schema
taken away."""

import copy
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect  # noqa: E402
import test_e2e_flow as e2e  # noqa: E402  (its tdsd set-up; its tests do not run on import)

CONTRACT_DIR = harness.source_path("tests", "contract")
VALIDATOR = os.path.join(CONTRACT_DIR, "validate_contract.js")
GATEWAY = harness.build_path("gateway", "tenant-gateway")
ROUTE_TAGS = {"sql", "login", "proxy", "echo"}


class Stack:
    """tdsd for our server and ACME's, the registry pointed at them, the gateway on
    conf/demo.yaml with its web app upstream on a port where nothing listens."""

    def __init__(self):
        self.own = e2e.start_own_server()
        self.acme = e2e.start_customer_server("FieldServiceDB_ACME", "acme.sql")
        with self.own.connect(user="registry_reader", password=e2e.REGISTRY_PW, database="TenantRegistry") as conn:
            conn.cursor().execute(
                "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %d, Encrypt = 0 "
                "WHERE CompanyCode IN (N'DCPSP', N'DEMO')" % self.own.port)
            conn.cursor().execute(
                "UPDATE Tenants SET DatabaseServer = N'127.0.0.1', Port = %d, Encrypt = 0 "
                "WHERE CompanyCode = N'ACME'" % self.acme.port)
        self.env = {"GATEWAY_PORT": "0", "REGISTRY_PORT": str(self.own.port), "REGISTRY_REFRESH": "30s",
                    "TDSD_PASSWORD": e2e.TENANT_PW, "TDSD_REGISTRY_PASSWORD": e2e.REGISTRY_PW,
                    "TENANT_DB_PASSWORD": e2e.TENANT_PW, "TG_AUTH_SECRET": e2e.AUTH_SECRET, "TG_DB_CA_FILE": e2e.db_ca_file()}
        with open(harness.source_path("conf", "demo.yaml")) as f:
            text = f.read()
        expect("http://127.0.0.1:5173" in text, "conf/demo.yaml changed shape")
        self.config_text = text.replace("http://127.0.0.1:5173", f"http://127.0.0.1:{e2e.free_port()}")
        self.gateway = harness.start_gateway(self.config_text, env=self.env)
        self.port = self.gateway.port

    def stop(self):
        self.gateway.stop()
        self.acme.stop()
        self.own.stop()


STACK = None


def stack():
    global STACK
    if STACK is None:
        STACK = Stack()
    return STACK


def served_document(port, headers=None):
    status, hdrs, data = harness.http_request(port, "GET", "/openapi.json", headers=headers)
    expect(status == 200, f"/openapi.json: {status} {data[:300]!r}")
    expect(hdrs.get("content-type", "").startswith("application/json"), hdrs)
    return data


def cli_document(config_path, env):
    run = subprocess.run([GATEWAY, "--openapi", "--config", config_path], capture_output=True,
                         env={**os.environ, **env}, timeout=30)
    expect(run.returncode == 0, f"--openapi exit {run.returncode}: {run.stderr.decode()[:500]}")
    return run.stdout


def run_validator(document, answers=None):
    """(exit code, output) of validate_contract.js on a document (bytes or dict) and answers."""
    with tempfile.TemporaryDirectory(prefix="tg-openapi-") as tmp:
        doc_path = os.path.join(tmp, "openapi.json")
        with open(doc_path, "wb") as f:
            f.write(document if isinstance(document, bytes) else json.dumps(document).encode())
        argv = ["node", VALIDATOR, doc_path]
        if answers is not None:
            answers_path = os.path.join(tmp, "answers.json")
            with open(answers_path, "w") as f:
                json.dump(answers, f)
            argv.append(answers_path)
        run = subprocess.run(argv, capture_output=True, timeout=60)
        return run.returncode, run.stdout.decode() + run.stderr.decode()


# ---- values drawn from the document's schemas ---------------------------------------

def valid_value(schema):
    """A value the schema says is valid: its default, its example, or the first word of
    an alternation pattern."""
    if "default" in schema:
        return schema["default"]
    if schema.get("examples"):
        return schema["examples"][0]
    words = re.fullmatch(r"\^\(\?:([A-Za-z0-9_|]+)\)\$", schema.get("pattern", ""))
    expect(words is not None, f"cannot draw a valid value from {schema}")
    return words.group(1).split("|")[0]


def invalid_values(schema):
    """Values the schema refuses, one per constraint it states, with the constraint."""
    out = []
    kind = schema.get("type")
    if kind == "integer" or kind == "number":
        out.append(("type", "not-a-number"))
        if "minimum" in schema:
            out.append(("minimum", schema["minimum"] - 1))
        if "maximum" in schema:
            out.append(("maximum", schema["maximum"] + 1))
    if "maxLength" in schema:
        out.append(("maxLength", "x" * (schema["maxLength"] + 1)))
    if "pattern" in schema:
        bad = "zz no match zz"
        expect(not re.search(schema["pattern"], bad), f"{bad!r} matches {schema['pattern']}")
        out.append(("pattern", bad))
    return out


def as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def deref(doc, node):
    """`node` with a local $ref followed."""
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


class Operation:
    """One documented operation of a configured route and how to call it."""

    def __init__(self, doc, path, method, op):
        self.doc, self.path, self.method, self.op = doc, path, method.upper(), op
        self.params = [deref(doc, p) for p in op.get("parameters", [])]
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        self.body_schema = body or None
        self.auth = bool(op.get("security"))

    def route_params(self, place):
        tenant = {"company", "X-Company-Code"}
        return [p for p in self.params if p["in"] == place and p["name"] not in tenant]

    def valid_path_values(self):
        """Captures from their schemas; an undeclared capture or a prefix's rest: a file name."""
        return {p["name"]: "index.html" if p["schema"] == {"type": "string"} else as_text(valid_value(p["schema"]))
                for p in self.route_params("path")}

    def valid_query(self):
        return {p["name"]: as_text(valid_value(p["schema"])) for p in self.route_params("query")}

    def valid_body(self, given=None):
        """Body fields from their schemas; `given` fields (a login's credentials) as given."""
        if not self.body_schema:
            return None
        given = given or {}
        props = self.body_schema.get("properties", {})
        return {name: given[name] if name in given else valid_value(schema) for name, schema in props.items()}

    def target(self, path_values, query):
        path = self.path
        for name, value in path_values.items():
            path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
        return path + ("?" + urllib.parse.urlencode(query) if query else "")


class Recorder:
    """Calls operations and keeps every answer for the validator."""

    def __init__(self, port):
        self.port = port
        self.answers = []

    def call(self, label, op, path_values, query, body=None, token=None, headers=None):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = "Bearer " + token
        raw = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        if raw is not None:
            hdrs["Content-Type"] = "application/json"
        status, got, data = harness.http_request(self.port, op.method, op.target(path_values, query), raw, hdrs)
        try:
            parsed, is_json = (json.loads(data), True) if data else (None, False)
        except ValueError:
            parsed, is_json = data.decode(errors="replace")[:2000], False
        self.answers.append({"label": label, "method": op.method, "path": op.path, "status": status,
                             "headers": got, "body": parsed, "json": is_json})
        return status, parsed


def error_code(body):
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def configured_operations(doc):
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if ROUTE_TAGS & set(op.get("tags", [])):
                ops.append(Operation(doc, path, method, op))
    return ops


def login_tokens(port):
    tokens = {}
    for tenant, user in (("ACME", "john@acme.com"), ("DCPSP", "admin@dcpsp.com")):
        status, _, body = harness.http_json(port, "POST", f"/api/auth/login?company={tenant}",
                                            {"username": user, "password": e2e.PASSWORDS[(tenant, user)]})
        expect(status == 200, f"login {tenant}: {status} {body}")
        tokens[tenant] = body["token"]
    return tokens


def details_name(body, field):
    details = body.get("error", {}).get("details", []) if isinstance(body, dict) else []
    return any(d.get("field") == field for d in details)


def expect_refusal(got, status, code, what):
    """The status, and the code unless the answer has no body (HEAD)."""
    coded = got[1] is None and what.startswith("HEAD ") or error_code(got[1]) == code
    expect(got[0] == status and coded, f"{what}: {got[0]} {got[1]}, want {status} {code}")


def documented_codes(op, status):
    """The error codes the operation lists for `status`."""
    response = op.op["responses"].get(str(status))
    if response is None:
        return []
    schema = response["content"]["application/json"]["schema"]
    return schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]


def success_expected(op, got):
    """A call with valid values: 2xx, 404 not_found from a `one` route (no such row), 502
    upstream_unavailable from a proxy route (its upstream is down here)."""
    status, body = got
    if "proxy" in op.op["tags"]:
        return status == 502 and (op.method == "HEAD" or error_code(body) == "upstream_unavailable")
    one_row = "not_found" in documented_codes(op, 404)
    return 200 <= status < 300 or (one_row and status == 404 and error_code(body) == "not_found")


def exercise_constraints(rec, op, base, tenant_query, token):
    """One call per stated constraint of each parameter, each with one bad value."""
    path_v, query, body = base
    for p in op.route_params("path") + op.route_params("query"):
        for constraint, bad in invalid_values(p["schema"]):
            pv, q = dict(path_v), {**query, **tenant_query}
            (pv if p["in"] == "path" else q)[p["name"]] = as_text(bad)
            got = rec.call(f"{p['name']} breaks {constraint}", op, pv, q, body, token)
            expect_refusal(got, 400, "validation_failed", f"{op.method} {op.path} {p['name']}={bad!r}")
            expect(details_name(got[1], p["name"]), got[1])
    for name, schema in (op.body_schema or {}).get("properties", {}).items():
        for constraint, bad in invalid_values(schema):
            got = rec.call(f"body {name} breaks {constraint}", op, path_v, {**query, **tenant_query},
                           {**(body or {}), name: bad}, token)
            expect_refusal(got, 400, "validation_failed", f"{op.method} {op.path} body {name}={bad!r}")
    for name in (op.body_schema or {}).get("required", []):
        partial = {k: v for k, v in (body or {}).items() if k != name}
        got = rec.call(f"body without {name}", op, path_v, {**query, **tenant_query}, partial, token)
        expect_refusal(got, 400, "validation_failed", f"{op.method} {op.path} without {name}")


def exercise_tenants(rec, op, base, tokens):
    """Missing, unknown, malformed and conflicting tenants; missing and foreign tokens."""
    path_v, query, body = base
    token = tokens["ACME"] if op.auth else None
    got = rec.call("malformed company code", op, path_v, {**query, "company": "no such code!"}, body, token)
    expect_refusal(got, 400, "invalid_company_code", f"{op.method} {op.path}")
    got = rec.call("two tenants", op, path_v, {**query, "company": "ACME"}, body, token,
                   headers={"X-Company-Code": "DCPSP"})
    expect_refusal(got, 400, "tenant_conflict", f"{op.method} {op.path}")
    if op.auth:
        got = rec.call("no token", op, path_v, {**query, "company": "ACME"}, body)
        expect_refusal(got, 401, "unauthorized", f"{op.method} {op.path}")
        got = rec.call("another tenant's token", op, path_v, {**query, "company": "ACME"}, body, tokens["DCPSP"])
        expect_refusal(got, 403, "tenant_mismatch", f"{op.method} {op.path}")
        got = rec.call("the token names the tenant", op, path_v, query, body, token)
        expect(success_expected(op, got), f"{op.method} {op.path} by token: {got}")
    elif "proxy" not in op.op["tags"]:
        got = rec.call("no tenant", op, path_v, query, body)
        expect_refusal(got, 400, "tenant_required", f"{op.method} {op.path}")
        got = rec.call("unknown tenant", op, path_v, {**query, "company": "NOSUCHCO"}, body)
        expect_refusal(got, 404, "tenant_not_found", f"{op.method} {op.path}")
    if "sql" in op.op["tags"] or "login" in op.op["tags"]:
        got = rec.call("body not JSON", op, path_v, {**query, "company": "ACME"}, b"[1, 2", token)
        expect_refusal(got, 400, "invalid_json", f"{op.method} {op.path}")


def exercise(rec, op, tokens):
    credentials = {}
    if "login" in op.op["tags"]:
        credentials = {"username": "john@acme.com", "password": e2e.PASSWORDS[("ACME", "john@acme.com")]}
    path_v, query, body = op.valid_path_values(), op.valid_query(), op.valid_body(credentials)
    token = tokens["ACME"] if op.auth else None
    got = rec.call("valid values", op, path_v, {**query, "company": "ACME"}, body, token)
    expect(success_expected(op, got), f"{op.method} {op.path} with valid values: {got}")
    got = rec.call("tenant by header", op, path_v, query, body, token, headers={"X-Company-Code": "acme"})
    expect(success_expected(op, got), f"{op.method} {op.path} by header: {got}")
    subdomain = next(v for v in op.doc["servers"] if "variables" in v)["url"]
    host = subdomain.split("://", 1)[1].replace("{company}", "acme")
    got = rec.call("tenant by subdomain", op, path_v, query, body, token, headers={"Host": host})
    expect(success_expected(op, got), f"{op.method} {op.path} on {host}: {got}")
    exercise_constraints(rec, op, (path_v, query, body), {"company": "ACME"}, token)
    exercise_tenants(rec, op, (path_v, query, body), tokens)


RESULTS = {}


def test_served_document_is_valid_openapi_31():
    s = stack()
    data = served_document(s.port)
    code, out = run_validator(data)
    expect(code == 0, f"validator: {out}")
    doc = json.loads(data)
    expect(doc["openapi"] == "3.1.0", doc["openapi"])
    ops = configured_operations(doc)
    # conf/demo.yaml: 11 sql and login routes, and the proxy route's 7 methods
    expect(len(ops) == 18, [f"{o.method} {o.path}" for o in ops])
    expect("/app/{rest}" in doc["paths"] and "/api/tickets/{id}/status" in doc["paths"], list(doc["paths"]))
    RESULTS["doc"] = doc


def test_the_cli_prints_the_served_document():
    s = stack()
    served = served_document(s.port)
    printed = cli_document(s.gateway.config_path, s.env)
    expect(printed == served + b"\n", "tenant-gateway --openapi differs from /openapi.json")


def test_every_route_answers_as_documented():
    s = stack()
    doc = json.loads(served_document(s.port))
    rec = Recorder(s.port)
    tokens = login_tokens(s.port)
    for op in configured_operations(doc):
        exercise(rec, op, tokens)
    code, out = run_validator(doc, rec.answers)
    expect(code == 0, f"answers that do not match the document:\n{out}")
    statuses = sorted({a["status"] for a in rec.answers})
    print(f"  {len(rec.answers)} answers checked, statuses {statuses}", flush=True)
    expect({200, 400, 401, 403, 404, 502} <= set(statuses), statuses)
    RESULTS["answers"], RESULTS["doc"] = rec.answers, doc


def test_operator_endpoints_answer_as_documented():
    s = stack()
    doc = json.loads(served_document(s.port))
    rec = Recorder(s.port)
    for path in ("/livez", "/readyz", "/health", "/metrics", "/openapi.json"):
        op = Operation(doc, path, "get", doc["paths"][path]["get"])
        got = rec.call("operator endpoint", op, {}, {})
        expect(got[0] == 200, f"{path}: {got[0]}")
    health = Operation(doc, "/health", "get", doc["paths"]["/health"]["get"])
    for tenant, status in (("acme", 200), ("no such code!", 400), ("NOSUCHCO", 404)):
        got = rec.call(f"/health?tenant={tenant}", health, {}, {"tenant": tenant})
        expect(got[0] == status, f"/health?tenant={tenant}: {got}")
    code, out = run_validator(doc, rec.answers)
    expect(code == 0, f"operator answers that do not match the document:\n{out}")


def operation_of(doc, answer):
    return doc["paths"][answer["path"]][answer["method"].lower()]


def run_cases(cases):
    """{name: (problems, output lines)} of validate_contract.js --cases, one node run."""
    with tempfile.TemporaryDirectory(prefix="tg-openapi-") as tmp:
        path = os.path.join(tmp, "cases.json")
        with open(path, "w") as f:
            json.dump([{"name": n, "doc": d, "answers": a} for n, (d, a) in cases.items()], f)
        run = subprocess.run(["node", VALIDATOR, "--cases", path], capture_output=True, timeout=120)
    out = run.stdout.decode()
    expect(run.returncode == 0, f"validator: {out}{run.stderr.decode()}")
    results = {}
    for line in out.splitlines():
        if line.startswith("{"):
            summary = json.loads(line)
            results[summary["case"]] = (summary["problems"], [x for x in out.splitlines()
                                                              if x.startswith(f"[{summary['case']}] ")])
    return results


def test_the_checker_refuses_what_is_not_documented():
    doc, answers = RESULTS.get("doc"), RESULTS.get("answers")
    expect(doc is not None and answers, "needs the answers of test_every_route_answers_as_documented")
    cases, needles = {}, {}

    def case(name, mutated, sample, needle):
        cases[name], needles[name] = (mutated, sample), needle

    case("unchanged", doc, answers, None)
    broken = copy.deepcopy(doc)
    del broken["info"]
    case("a document without info", broken, [], "invalid OpenAPI document")
    bad_schema = copy.deepcopy(doc)
    bad_schema["components"]["schemas"]["Row"]["type"] = "record"
    case("a schema that is no JSON Schema", bad_schema, [], "not a valid JSON Schema")
    # a status the operation does not list
    refused = next(a for a in answers if a["status"] == 400)
    missing = copy.deepcopy(doc)
    del operation_of(missing, refused)["responses"]["400"]
    case("an undocumented status", missing, [refused], "status 400 is not documented")
    # rows whose values are not what Row allows
    rows = [a for a in answers if a["status"] == 200 and isinstance(a["body"], list) and a["body"]]
    expect(rows, "no answer with rows was recorded")
    narrowed = copy.deepcopy(doc)
    narrowed["components"]["schemas"]["Row"]["additionalProperties"] = {"type": "boolean"}
    case("a row schema the rows do not fit", narrowed, rows, "body ")
    # an error code the status does not list
    not_found = [a for a in answers if error_code(a["body"]) == "not_found"]
    expect(not_found, "no not_found answer was recorded")
    fewer = copy.deepcopy(doc)
    for answer in not_found:
        schema = operation_of(fewer, answer)["responses"]["404"]["content"]["application/json"]["schema"]
        enum = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
        if "not_found" in enum:
            enum.remove("not_found")
    case("an error code not listed", fewer, not_found, "must be equal to one of the allowed values")
    # a required header that is not sent
    strict = copy.deepcopy(doc)
    strict["components"]["headers"]["X-Never-Sent"] = {"required": True, "schema": {"type": "string"}}
    operation_of(strict, refused)["responses"]["400"]["headers"]["X-Never-Sent"] = {
        "$ref": "#/components/headers/X-Never-Sent"}
    case("a required header missing", strict, [refused], "required header X-Never-Sent is missing")

    results = run_cases(cases)
    for name, needle in needles.items():
        expect(name in results, f"no result for {name}: {results}")
        problems, lines = results[name]
        if needle is None:
            expect(problems == 0, f"{name}: {lines}")
        else:
            expect(problems > 0 and any(needle in line for line in lines),
                   f"{name}: the validator should refuse it with {needle!r}: {lines[:5]}")


PROBE_ROUTE = """  - method: GET
    path: /api/contract-probe/{word}
    kind: echo
    tenant_required: false

upstreams:
"""


def test_a_reload_changes_the_served_document():
    s = stack()
    expect("\nupstreams:\n" in s.config_text, "conf/demo.yaml changed shape")
    with open(s.gateway.config_path, "w") as f:
        f.write(s.config_text.replace("\nupstreams:\n", "\n" + PROBE_ROUTE, 1))
    s.gateway.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    doc = None
    while time.monotonic() < deadline:
        doc = json.loads(served_document(s.port))
        if "/api/contract-probe/{word}" in doc["paths"]:
            break
        time.sleep(0.1)
    expect("/api/contract-probe/{word}" in doc["paths"], "the reloaded route is not in /openapi.json")
    expect(cli_document(s.gateway.config_path, s.env) == served_document(s.port) + b"\n", "CLI differs after reload")
    rec = Recorder(s.port)
    op = Operation(doc, "/api/contract-probe/{word}", "get", doc["paths"]["/api/contract-probe/{word}"]["get"])
    got = rec.call("echo", op, {"word": "hello"}, {"company": "acme"})
    expect(got[0] == 200 and got[1]["params"] == {"word": "hello"}, got)
    got = rec.call("echo without tenant", op, {"word": "x"}, {})
    expect(got[0] == 200 and got[1]["tenant"] is None, got)
    code, out = run_validator(doc, rec.answers)
    expect(code == 0, out)


GUARDED = """
listen: {address: 127.0.0.1, port: 0}
registry: {source: yaml}
health: {probe_interval: 1h}
metrics: {access: token, token: "contract-metrics-token"}
rate_limits: {per_second: 1, burst: 1}
tenants:
  - {code: ACME, server: 127.0.0.1, database: AcmeDB}
routes:
  - {method: GET, path: "/api/echo/{id}", kind: echo}
"""


def test_metrics_access_guards_the_document_and_429_is_documented():
    gateway = harness.start_gateway(GUARDED)
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            for path in ("/openapi.json", "/metrics"):
                status, hdrs, _ = harness.http_request(gateway.port, "GET", path, headers=headers)
                expect(status == 401 and hdrs.get("www-authenticate") == "Bearer", f"{path} {headers}: {status}")
        data = served_document(gateway.port, {"Authorization": "Bearer contract-metrics-token"})
        expect(cli_document(gateway.config_path, {}) == data + b"\n", "CLI differs")
        doc = json.loads(data)
        code, out = run_validator(doc)
        expect(code == 0, out)
        op = Operation(doc, "/api/echo/{id}", "get", doc["paths"]["/api/echo/{id}"]["get"])
        rec = Recorder(gateway.port)
        # a bucket of one: the second call within the second is refused
        first = rec.call("first", op, {"id": "1"}, {"company": "ACME"})
        second = rec.call("second", op, {"id": "2"}, {"company": "ACME"})
        expect(first[0] == 200, first)
        expect_refusal(second, 429, "rate_limited", "second call")
        limited = rec.answers[-1]["headers"]
        expect(int(limited["retry-after"]) >= 1 and limited["ratelimit"].startswith('"tenant"'), limited)
        code, out = run_validator(doc, rec.answers)
        expect(code == 0, out)
    finally:
        gateway.stop()


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        if STACK is not None:
            STACK.stop()
