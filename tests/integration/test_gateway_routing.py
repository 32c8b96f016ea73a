"""Tenant resolution, route matching, the echo handler, request ids and the access log,
over real HTTP against a real tenant-gateway process."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (expect, expect_error, http_json, http_request, raw_exchange,  # noqa: E402
                     run_tests, start_gateway)

CONFIG = """
listen: {address: 127.0.0.1, port: 0, io_threads: 2}
limits: {header_timeout: 2s, idle_timeout: 2s, drain_timeout: 2s}
tenant_resolution:
  order: [query, subdomain, header]
  query_param: company
  base_domains: [yourapp.com]
  header: X-Company-Code
routes:
  - methods: [GET]
    path: /api/customers/{id}
    kind: echo
  - methods: [GET, POST]
    path: /api/echo
    kind: echo
  - methods: [GET]
    path: /public/*
    kind: echo
    tenant_required: false
"""

gateway = None


def get(path, headers=None):
    return http_json(gateway.port, "GET", path, headers=headers)


def access_lines():
    """The access-log lines printed so far, decoded."""
    lines = []
    for line in gateway.output():
        if line.startswith("{") and '"msg":"access"' in line:
            lines.append(json.loads(line))
    return lines


def access_line_for(request_id):
    match = gateway.wait_for_line(f'"request_id":"{request_id}"', timeout=5)
    expect(match is not None, f"no access-log line for {request_id}")
    return next(e for e in access_lines() if e["request_id"] == request_id)


def test_tenant_from_query():
    status, hdrs, body = get("/api/customers/42?company=acme&x=1")
    expect(status == 200, f"status {status}: {body}")
    expect(body == {"tenant": "ACME", "tenantSource": "query", "route": "/api/customers/{id}",
                    "method": "GET", "path": "/api/customers/42", "params": {"id": "42"},
                    "query": {"company": "acme", "x": "1"}}, f"echo body {body}")
    expect(hdrs.get("content-type") == "application/json", hdrs)
    expect(hdrs.get("server") == "tenant-gateway", hdrs)


def test_tenant_from_subdomain():
    status, _, body = get("/api/echo", headers={"Host": "techstart.yourapp.com:8080"})
    expect(status == 200, f"status {status}: {body}")
    expect(body["tenant"] == "TECHSTART" and body["tenantSource"] == "subdomain", body)


def test_tenant_from_header():
    status, _, body = get("/api/echo", headers={"X-Company-Code": "GlobalSec"})
    expect(status == 200, f"status {status}: {body}")
    expect(body["tenant"] == "GLOBALSEC" and body["tenantSource"] == "header", body)


def test_same_tenant_from_every_source_is_fine():
    status, _, body = get("/api/echo?company=ACME",
                          headers={"Host": "acme.yourapp.com", "X-Company-Code": "acme"})
    expect(status == 200 and body["tenant"] == "ACME" and body["tenantSource"] == "query", body)


def test_conflicts():
    shapes = [
        ("/api/echo?company=ACME", {"Host": "techstart.yourapp.com"}),
        ("/api/echo?company=ACME", {"X-Company-Code": "DEMO"}),
        ("/api/echo", {"Host": "acme.yourapp.com", "X-Company-Code": "DEMO"}),
        ("/api/echo?company=ACME&company=DEMO", {}),
    ]
    for path, headers in shapes:
        status, _, body = get(path, headers)
        expect_error(status, body, 400, "tenant_conflict")
    # Two header lines naming different tenants.
    raw = raw_exchange(gateway.port, b"GET /api/echo HTTP/1.1\r\nHost: x\r\n"
                       b"X-Company-Code: ACME\r\nX-Company-Code: DEMO\r\nConnection: close\r\n\r\n")
    expect(raw.startswith(b"HTTP/1.1 400 "), raw[:200])
    expect(b'"tenant_conflict"' in raw, raw)


def test_invalid_company_code():
    for path in ["/api/echo?company=AC%20ME", "/api/echo?company=" + "A" * 65,
                 "/api/echo?company=ac.me"]:
        status, _, body = get(path)
        expect_error(status, body, 400, "invalid_company_code")


def test_tenant_required():
    status, _, body = get("/api/echo")
    expect_error(status, body, 400, "tenant_required")


def test_route_without_tenant():
    status, _, body = get("/public/css/site.css")
    expect(status == 200 and body["tenant"] is None and body["tenantSource"] is None, body)
    expect(body["route"] == "/public/*", body)


def test_route_not_found():
    status, _, body = get("/nothing/here?company=ACME")
    expect_error(status, body, 404, "route_not_found")


def test_method_not_allowed_with_allow():
    status, hdrs, body = http_json(gateway.port, "DELETE", "/api/echo?company=ACME")
    expect_error(status, body, 405, "method_not_allowed")
    allow = [m.strip() for m in hdrs.get("allow", "").split(",")]
    expect(set(allow) >= {"GET", "POST"}, f"Allow: {hdrs.get('allow')}")


def test_livez():
    status, hdrs, body = get("/livez")
    expect(status == 200 and body == {"status": "ok"}, f"{status} {body}")
    expect(hdrs.get("x-request-id"), "no X-Request-Id")


def test_head_has_no_body():
    status, hdrs, data = http_request(gateway.port, "HEAD", "/api/customers/7?company=ACME")
    expect(status == 200, status)
    expect(data == b"", data)
    expect(int(hdrs["content-length"]) > 0, hdrs)
    _, livez_head, livez_data = http_request(gateway.port, "HEAD", "/livez")
    _, _, livez_get = http_request(gateway.port, "GET", "/livez")
    expect(livez_data == b"" and int(livez_head["content-length"]) == len(livez_get),
           (livez_head, livez_get))


def test_http_1_0():
    raw = raw_exchange(gateway.port, b"GET /api/customers/1?company=ACME HTTP/1.0\r\n\r\n")
    expect(raw.startswith(b"HTTP/1.0 200 "), raw[:100])
    expect(b'"tenant":"ACME"' in raw, raw)


def test_request_id_echoed():
    status, hdrs, body = get("/nothing", headers={"X-Request-Id": "client-id-123"})
    expect(hdrs.get("x-request-id") == "client-id-123", hdrs)
    expect(body["error"]["requestId"] == "client-id-123", body)


def test_request_id_generated_when_missing_or_bad():
    for headers in [{}, {"X-Request-Id": "x" * 129}, {"X-Request-Id": "has space"}]:
        _, hdrs, body = get("/nothing", headers=headers)
        rid = hdrs.get("x-request-id", "")
        expect(len(rid) == 32 and all(c in "0123456789abcdef" for c in rid), f"id {rid!r}")
        expect(body["error"]["requestId"] == rid, body)
    _, first, _ = get("/livez")
    _, second, _ = get("/livez")
    expect(first["x-request-id"] != second["x-request-id"], "generated ids repeat")


def test_access_log_line():
    rid = "log-check-1"
    get("/api/customers/9?company=acme&password=hunter2", headers={"X-Request-Id": rid})
    entry = access_line_for(rid)
    for field in ["time", "request_id", "tenant", "route", "method", "path", "status", "bytes",
                  "duration_ms"]:
        expect(field in entry, f"no {field} in {entry}")
    expect(entry["tenant"] == "ACME" and entry["route"] == "/api/customers/{id}", entry)
    expect(entry["method"] == "GET" and entry["status"] == 200, entry)
    expect(entry["path"] == "/api/customers/9", entry)
    expect(entry["bytes"] > 0 and entry["duration_ms"] >= 0, entry)
    expect(entry["time"].endswith("Z") and "T" in entry["time"], entry)


def test_no_query_string_in_log():
    get("/api/echo?company=ACME&token=supersecret42", headers={"X-Request-Id": "log-check-2"})
    get("/nothing?api_key=supersecret42", headers={"X-Request-Id": "log-check-3"})
    access_line_for("log-check-3")
    leaked = [line for line in gateway.output() if "supersecret42" in line]
    expect(not leaked, f"query string logged: {leaked}")


def test_other_logs_are_json():
    starts = [json.loads(line) for line in gateway.output() if '"msg":"started"' in line]
    expect(starts and starts[0]["level"] == "info", gateway.output()[:3])


if __name__ == "__main__":
    gateway = start_gateway(CONFIG)
    try:
        run_tests(dict(globals()))
    finally:
        gateway.stop()
