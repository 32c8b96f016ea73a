"""Hostile parameter values over real HTTP: 1 MB values on every constraint kind in the
query string and in a JSON body, ill-formed UTF-8, NUL and non-finite numbers. Each is
a 400 (validation_failed, or invalid_json for a body that is not JSON), and the gateway
keeps serving. The echo route answers valid UTF-8 whatever the client sent."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_e2e_flow as flow  # noqa: E402

MB = 1024 * 1024

PARAMS = """
      - {{name: id, from: {src}, type: int, min: 1, max: 1000000}}
      - {{name: code, from: {src}, type: string, pattern: '[a-z]+'}}
      - {{name: name, from: {src}, type: string, max_length: 50}}
      - {{name: price, from: {src}, type: number, min: 0, max: 100}}
      - {{name: qty, from: {src}, type: bigint, min: 0}}
      - {{name: ratio, from: {src}, type: number}}
      - {{name: at, from: {src}, type: datetime}}
      - {{name: blob, from: {src}, type: binary, max_length: 16}}
      - {{name: flag, from: {src}, type: bool}}"""

CONFIG = """
listen: {{address: 127.0.0.1, port: 0}}
limits:
  max_header_bytes: 3145728
  max_body_bytes: 4194304
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
pools: {{encrypt: false}}
tenants:
  - {{code: DCPSP, name: DCPSP Inc, server: 127.0.0.1, port: {port}, database: FieldServiceDB}}
routes:
  - method: GET
    path: /api/echo/{{word}}
    kind: echo
    tenant_required: false
  - method: GET
    path: /api/q
    kind: sql
    sql: SELECT CustomerId AS id, Name AS name FROM Customers WHERE CustomerId = @id
    params:{query_params}
  - method: POST
    path: /api/b
    kind: sql
    sql: SELECT CustomerId AS id, Name AS name FROM Customers WHERE CustomerId = @id
    params:{body_params}
"""

# Every constraint kind with a 1 MB value; `id: 0` breaks min so that a value that
# passes its own checks (a 1 MB match of the pattern) still ends in a 400.
ONE_MB_TEXT_FIELDS = {
    "code": "a" * MB + "!",  # pattern, no match at the very end
    "name": "x" * MB,  # max_length
    "price": "9" * MB,  # min/max on a number
    "qty": "7" * MB,  # min on a bigint
    "at": "2" * MB,  # datetime
    "blob": "A" * MB,  # binary max_length
    "flag": "t" * MB,  # bool
}

own = None
gateway = None


def start():
    """tdsd, and a gateway unless one is running (a test that killed it leaves the next
    tests a fresh one, so each test fails only for its own values)."""
    global own, gateway
    if own is None:
        own = flow.start_own_server()
    if gateway is not None:
        if gateway.proc.poll() is None:
            return
        gateway.stop()
    # output to a file read as bytes: the access log is checked for valid UTF-8
    log_path = harness.write_temp("", suffix=".log")
    gateway = harness.start_gateway(
        CONFIG.format(port=own.port, query_params=PARAMS.format(src="query"),
                      body_params=PARAMS.format(src="body")),
        env={"TDSD_PASSWORD": flow.TENANT_PW}, output_path=log_path)
    gateway.log_path = log_path


def problems_of(status, body):
    """The fields of a 400 validation_failed answer."""
    expect_error(status, body, 400, "validation_failed")
    return {d["field"] for d in body["error"]["details"]}


def expect_still_serving():
    expect(gateway.proc.poll() is None, "the gateway process died")
    status, _, body = harness.http_json(gateway.port, "GET", "/api/q?company=DCPSP&id=1&code=ok&price=5")
    expect(status == 200 and body and body[0]["id"] == 1, f"valid query: {status} {body}")
    status, _, body = harness.http_json(gateway.port, "POST", "/api/b?company=DCPSP", {"id": 1, "price": 2.5})
    expect(status == 200 and body and body[0]["id"] == 1, f"valid body: {status} {body}")


def post_raw(body_bytes, content_type="application/json"):
    return harness.http_json(gateway.port, "POST", "/api/b?company=DCPSP", body_bytes,
                             {"Content-Type": content_type}, timeout=30.0)


def get_query(query):
    return harness.http_json(gateway.port, "GET", "/api/q?company=DCPSP&" + query, timeout=30.0)


def test_one_megabyte_values_in_a_json_body():
    start()
    for field, value in ONE_MB_TEXT_FIELDS.items():
        status, _, body = post_raw(json.dumps({field: value}).encode())
        expect(problems_of(status, body) == {field}, f"{field}: {body}")
    # a value matching the pattern over 1 MB is fine: only id is refused
    status, _, body = post_raw(json.dumps({"id": 0, "code": "a" * MB}).encode())
    expect(problems_of(status, body) == {"id"}, f"1 MB pattern match: {body}")
    # 1 MB of digits as JSON numbers: beyond every range, 1e1048575 is infinity
    for field in ("id", "price", "qty", "ratio"):
        status, _, body = post_raw(b'{"%s": %s}' % (field.encode(), b"9" * MB))
        expect(problems_of(status, body) == {field}, f"{field} number: {body}")
    expect_still_serving()


def test_one_megabyte_values_in_the_query():
    start()
    for field, value in ONE_MB_TEXT_FIELDS.items():
        status, _, body = get_query(f"{field}={value}")
        expect(problems_of(status, body) == {field}, f"{field}: {body}")
    status, _, body = get_query("id=" + "9" * MB)
    expect(problems_of(status, body) == {"id"}, f"id: {body}")
    status, _, body = get_query("id=0&code=" + "a" * MB)
    expect(problems_of(status, body) == {"id"}, f"1 MB pattern match: {body}")
    expect_still_serving()


def test_ill_formed_utf8_in_the_query():
    start()
    for bad in ("%FF", "abc%C3", "%C0%AF", "%E0%80%AF", "%ED%A0%80", "%F4%90%80%80", "%80"):
        for field in ("code", "name", "at", "blob", "price"):
            status, _, body = get_query(f"{field}={bad}")
            expect(problems_of(status, body) == {field}, f"{field}={bad}: {body}")
            expect(body["error"]["details"][0]["problem"] == "must be valid UTF-8", f"{body}")
    expect_still_serving()


def test_nul_in_the_query_is_refused_before_routing():
    start()
    # NUL in a query is refused for every route (SQL and proxy alike) at target parsing
    for query in ("name=a%00b", "code=%00", "price=1%00"):
        status, _, body = get_query(query)
        expect_error(status, body, 400, "bad_request")
    expect_still_serving()


def test_non_finite_numbers_in_the_query():
    start()
    for text in ("1e999", "-1e999", "NaN", "nan", "Infinity", "-Infinity", "inf"):
        for field in ("price", "id", "qty", "ratio"):
            status, _, body = get_query(f"{field}={text}")
            expect(problems_of(status, body) == {field}, f"{field}={text}: {body}")
    expect_still_serving()


def test_non_finite_numbers_in_a_json_body():
    start()
    for number in (b"1e999", b"-1e999", b"1E400"):
        for field in (b"ratio", b"price", b"id", b"qty"):
            status, _, body = post_raw(b'{"%s": %s}' % (field, number))
            expect(problems_of(status, body) == {field.decode()}, f"{field} {number}: {body}")
    # NaN and Infinity are not JSON at all
    for number in (b"NaN", b"Infinity", b"-Infinity"):
        status, _, body = post_raw(b'{"price": %s}' % number)
        expect_error(status, body, 400, "invalid_json")
    expect_still_serving()


def test_nul_and_ill_formed_text_in_a_json_body():
    start()
    status, _, body = post_raw(b'{"name": "a\\u0000b", "code": "\\u0000"}')
    expect(problems_of(status, body) == {"name", "code"}, f"NUL: {body}")
    expect(all(d["problem"] == "must not contain NUL characters" for d in body["error"]["details"]), f"{body}")
    # raw ill-formed UTF-8 in a value or a key, and lone surrogate escapes, are not JSON
    for raw in (b'{"name": "\xff"}', b'{"name": "\xc0\xaf"}', b'{"name": "\xed\xa0\x80"}',
                b'{"na\xffme": "x"}', b'{"name": "\\ud800"}', b'{"name": "\\udc00x"}'):
        status, _, body = post_raw(raw)
        expect_error(status, body, 400, "invalid_json")
    expect_still_serving()


def test_form_bodies_are_refused():
    start()
    for raw in (b"name=%FF", b"name=a%00b", b"price=1e999", b"code=" + b"a" * MB):
        status, _, body = post_raw(raw, "application/x-www-form-urlencoded")
        expect_error(status, body, 400, "invalid_json")
    expect_still_serving()


def test_echo_answers_valid_utf8_only():
    start()
    path = "/api/echo/%FF%C3?%FE=%C0%AF&ok=%C3%BC&s=%ED%A0%80&big=" + "%FF" * 1000
    status, _, data = harness.http_request(gateway.port, "GET", path)
    expect(status == 200, f"echo status {status}")
    text = data.decode("utf-8")  # raises on ill-formed UTF-8
    body = json.loads(text)
    expect(body["params"]["word"] == "\ufffd\ufffd", f"path capture: {body['params']}")
    expect(body["query"]["\ufffd"] == "\ufffd\ufffd", f"query: {body['query']}")
    expect(body["query"]["ok"] == "\u00fc", f"valid text unchanged: {body['query']}")
    expect(body["query"]["s"] == "\ufffd" * 3, f"surrogate: {body['query']}")
    expect(body["query"]["big"] == "\ufffd" * 1000, "1000 bad bytes, 1000 replacements")
    expect("\ufffd" in body["path"], f"path: {body['path']}")
    expect_still_serving()


def access_lines_for(path_prefix, timeout=5.0):
    """The gateway's access lines whose path starts with `path_prefix`, as raw bytes."""
    deadline = time.monotonic() + timeout
    while True:
        with open(gateway.log_path, "rb") as f:
            found = [line for line in f.read().splitlines()
                     if b'"msg":"access"' in line and b'"path":"' + path_prefix in line]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_raw_bytes_in_the_target_never_reach_the_output():
    start()
    raw = harness.raw_exchange(gateway.port, b"GET /api/echo/raw\xff\xfe?x=\xc3 HTTP/1.1\r\n"
                                             b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    expect(head.startswith(b"HTTP/1.1 400 "), f"raw bytes in a target: {head[:100]!r}")
    expect(json.loads(body.decode("utf-8"))["error"]["code"] == "bad_request", f"{body!r}")
    lines = access_lines_for(b"/api/echo/raw")
    expect(lines, "no access line for the request")
    for line in lines:
        entry = json.loads(line.decode("utf-8"))  # raises on ill-formed UTF-8
        expect(entry["path"] == "/api/echo/raw\ufffd\ufffd", f"logged path {entry['path']!r}")
    expect_still_serving()


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        if gateway:
            gateway.stop()
        if own:
            own.stop()
