"""One decision per request, over real HTTP: the dispatcher verifies a bearer token at
most once per request, whatever the route kind (echo, proxy to a real Node upstream)
and wherever the tenant comes from (query, or the token itself), and refuses
`auth: required` routes the same way for every kind (401, 403). Operator endpoints are
found by their decoded path like any route, and admin endpoints that are switched off
leave their path to the route table. The count of verifications is read from
/metrics (tenant_gateway_token_verifications_total)."""

import base64
import hashlib
import hmac
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect, expect_error, http_request  # noqa: E402

KEY = "dispatch-test-key-0123456789abcdefghijklmnop"
KEY_FILE = harness.write_temp(KEY + "\n", suffix=".key")
node = proxy_support.start_node_upstream("dispatch")

CONFIG = f"""
listen: {{address: 127.0.0.1, port: 0}}
tenant_resolution:
  order: [query, header, token]
auth:
  secret_ref: file:{KEY_FILE}
pools: {{encrypt: false}}
tenants:
  - {{code: ACME, name: Acme, server: 127.0.0.1, database: AcmeDB, credential_ref: env:TG_TEST_SECRET}}
  - {{code: GLOBEX, name: Globex, server: 127.0.0.1, database: GlobexDB, credential_ref: env:TG_TEST_SECRET}}
routes:
  - {{methods: [GET], path: /api/open, kind: echo, tenant_required: false}}
  - {{methods: [GET], path: /api/secure, kind: echo, auth: required}}
  - {{methods: ["*"], path: /app/*, kind: proxy, upstream: app, auth: required}}
  - {{methods: [GET], path: /admin/tenants, kind: echo, tenant_required: false}}
upstreams:
  - name: app
    servers: [http://127.0.0.1:{node.port}]
"""
gw = harness.start_gateway(CONFIG, env={"TG_TEST_SECRET": "unused"})


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_for(tenant, key=KEY):
    now = int(time.time())
    claims = {"iss": "tenant-gateway", "sub": "7", "tenant": tenant, "iat": now, "exp": now + 600}
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{b64(sig)}"


def verifications():
    return harness.metric_value(harness.scrape_metrics(gw.port), "tenant_gateway_token_verifications_total")


def get(path, token=None, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http_request(gw.port, "GET", path, headers=headers)


def counted(path, token, headers=None):
    """The request's answer and how many tokens it had verified."""
    before = verifications()
    status, hdrs, data = get(path, token, headers)
    return status, data, verifications() - before


def test_a_token_is_verified_once_for_an_auth_route_whose_tenant_it_names():
    status, data, verified = counted("/api/secure", token_for("ACME"))
    expect(status == 200, f"{status} {data[:200]!r}")
    expect(json.loads(data)["tenant"] == "ACME", data)
    expect(verified == 1, f"verified {verified} times")


def test_a_proxied_request_verifies_its_token_once():
    status, data, verified = counted("/app/hello", token_for("ACME"))
    expect(status == 200, f"{status} {data[:200]!r}")
    seen = json.loads(data)
    expect(seen["headers"].get("x-company-code") == "ACME", seen)
    expect(verified == 1, f"verified {verified} times")


def test_a_named_tenant_and_a_token_still_cost_one_verification():
    status, data, verified = counted("/app/x?company=ACME", token_for("ACME"))
    expect(status == 200, f"{status} {data[:200]!r}")
    expect(verified == 1, f"verified {verified} times")


def test_an_open_route_verifies_nothing_when_the_request_names_its_tenant():
    status, data, verified = counted("/api/open?company=ACME", token_for("ACME"))
    expect(status == 200, f"{status} {data[:200]!r}")
    expect(verified == 0, f"verified {verified} times")


def test_refusals_are_the_same_for_every_route_kind():
    for path in ("/api/secure", "/app/y"):
        status, _, data = get(path)
        expect_error(status, json.loads(data), 401, "unauthorized")
        status, _, data = get(path, "not.a.token")
        expect_error(status, json.loads(data), 401, "unauthorized")
        status, _, data = get(path, token_for("ACME", key="another-key-0123456789abcdefghijklmnopq"))
        expect_error(status, json.loads(data), 401, "unauthorized")
        before = verifications()
        status, _, data = get(path + "?company=GLOBEX", token_for("ACME"))
        expect_error(status, json.loads(data), 403, "tenant_mismatch")
        expect(verifications() - before == 1, path)


def test_endpoints_are_found_by_their_decoded_path():
    status, _, data = get("/%6civez")
    expect(status == 200 and json.loads(data) == {"status": "ok"}, f"{status} {data!r}")
    status, hdrs, data = http_request(gw.port, "POST", "/health")
    expect_error(status, json.loads(data), 405, "method_not_allowed")
    expect(hdrs.get("allow") == "GET, HEAD", hdrs)


def test_a_disabled_admin_endpoint_leaves_its_path_to_the_route_table():
    status, _, data = get("/admin/tenants")
    expect(status == 200, f"{status} {data[:200]!r}")
    expect(json.loads(data)["route"] == "/admin/tenants", data)


try:
    harness.run_tests(globals())
finally:
    gw.stop()
    node.stop()
