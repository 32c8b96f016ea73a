"""Token keys and token time claims on a real gateway, over real HTTP and TDS.

Key rotation by SIGHUP: a routine rotation (auth.secret_ref names the new key, the old
one moves to auth.previous_secret_refs: new tokens are signed with the new key, the old
key's tokens still pass), then the emergency step (the old key dropped from both lists:
its tokens are refused at once). Token TTL and issuer changes apply to tokens issued
after the reload; a reload whose key cannot be read is refused. Time claims: `nbf` and
`iat` may lie in the future by auth.clock_leeway (default 30s) and no more; `exp` gets
no leeway. Keys live in files (env: variables cannot change under a running process)."""

import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import expect, expect_error  # noqa: E402
import test_e2e_flow as flow  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Debian's python3 3.11: libxcrypt's crypt(3); deprecated, still there

KEYS = {name: f"rotation-test-key-{name}-0123456789abcdefghij" for name in "ABC"}
USER, PASSWORD = "ops@acme.test", "Acme-Ops-2024"

CONFIG = """
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: yaml
  default_user: fieldservice_api
  default_credential_ref: env:TDSD_PASSWORD
auth:
{auth}
pools: {{encrypt: false}}
tenants:
  - {{code: ACME, name: Acme, server: 127.0.0.1, port: {port}, database: AcmeDB}}
routes:
{login_route}
  - {{methods: [GET], path: /api/one, kind: sql, auth: required, sql: "SELECT 1 AS one", result: one}}
"""

KEY_FILES = {}
TDSD = {}


def key_ref(name):
    """file: reference of key A, B or C (written once)."""
    if name not in KEY_FILES:
        KEY_FILES[name] = harness.write_temp(KEYS[name] + "\n", suffix=".key")
    return "file:" + KEY_FILES[name]


def auth_section(secret, previous=(), **settings):
    lines = [f"  secret_ref: {key_ref(secret)}"]
    if previous:
        lines.append("  previous_secret_refs:")
        lines += [f"    - {key_ref(name)}" for name in previous]
    lines += [f"  {key}: {value}" for key, value in settings.items()]
    return "\n".join(lines)


def tdsd_port():
    if not TDSD:
        hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 4))
        TDSD["server"] = flow.acme_tdsd_with_user(USER, hashed)
    return TDSD["server"].port


def config_text(auth):
    return CONFIG.format(auth=auth, port=tdsd_port(), login_route=harness.LOGIN_ROUTE_YAML)


def start(auth):
    return harness.start_gateway(config_text(auth), env={"TDSD_PASSWORD": flow.TENANT_PW})


def reload(gw, auth, want="config reloaded"):
    """Rewrites the gateway's file with `auth` and sends SIGHUP; returns the logged line."""
    with open(gw.config_path, "w") as f:
        f.write(config_text(auth))
    mark = len(gw.output())
    gw.signal(signal.SIGHUP)
    match = gw.wait_for_line(r'"msg":"config reload(ed| refused)"', timeout=10, start=mark)
    expect(match and want in match.string, f"want {want!r}: {gw.output()[mark:]}")
    return json.loads(match.string)


def login(gw):
    status, _, body = harness.http_json(gw.port, "POST", "/api/auth/login?company=ACME",
                                        {"username": USER, "password": PASSWORD})
    expect(status == 200 and body.get("token"), f"login: {status} {body}")
    return body["token"]


def call(gw, token):
    return harness.http_json(gw.port, "GET", "/api/one?company=ACME",
                             headers={"Authorization": "Bearer " + token})


def accepted(gw, token, what):
    status, _, body = call(gw, token)
    expect(status == 200 and body == {"one": 1}, f"{what}: {status} {body}")


def refused(gw, token, what):
    """Refused the way every invalid token is: 401 unauthorized, the same message."""
    status, _, body = call(gw, token)
    expect_error(status, body, 401, "unauthorized")
    _, _, garbage = call(gw, "not.a.token")
    expect(body["error"]["message"] == garbage["error"]["message"], f"{what}: {body}")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_by(token, name):
    """True when the token's HS256 signature is made with key `name`."""
    head, payload, sig = token.split(".")
    mac = hmac.new(KEYS[name].encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(b64(mac), sig)


def forge(name, **claims):
    """A token signed with key `name`: ACME's user 1, valid for 10 minutes unless overridden."""
    now = int(time.time())
    body = {"iss": "tenant-gateway", "sub": "1", "tenant": "ACME", "iat": now, "exp": now + 600}
    body.update(claims)
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(body).encode())
    sig = hmac.new(KEYS[name].encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{b64(sig)}"


def expect_no_key_in(gw):
    leaked = [line for line in gw.output() if any(key in line for key in KEYS.values())]
    expect(not leaked, f"a key in the log: {leaked}")


# ---- key rotation --------------------------------------------------------------------

def test_routine_then_emergency_rotation():
    gw = start(auth_section("A"))
    try:
        old = login(gw)
        expect(signed_by(old, "A"), "signed with A before the rotation")
        accepted(gw, old, "A's token before the rotation")
        accepted(gw, forge("A"), "a token minted with A")

        # routine: B signs, A still verifies
        logged = reload(gw, auth_section("B", previous=["A"]))
        expect(logged["level"] == "info", logged)
        accepted(gw, old, "A's login token after the routine rotation")
        accepted(gw, forge("A"), "a token minted with A after the routine rotation")
        new = login(gw)
        expect(signed_by(new, "B") and not signed_by(new, "A"), "new tokens are signed with B")
        accepted(gw, new, "B's token")
        refused(gw, forge("C"), "a token of a key in neither list")

        # emergency: A listed nowhere, its tokens refused at once
        reload(gw, auth_section("B"))
        refused(gw, old, "A's login token after A was dropped")
        refused(gw, forge("A"), "a token minted with A after A was dropped")
        accepted(gw, new, "B's token after A was dropped")
        expect(signed_by(login(gw), "B"), "still signed with B")

        # A listed again verifies again: a previous key is valid exactly while listed
        reload(gw, auth_section("C", previous=["B", "A"]))
        accepted(gw, old, "A's token with A listed again")
        accepted(gw, new, "B's token with B listed")
        expect(signed_by(login(gw), "C"), "signed with C")
        expect_no_key_in(gw)
    finally:
        gw.stop()


def test_ttl_and_issuer_changes_apply_to_tokens_issued_after_the_reload():
    gw = start(auth_section("A", issuer="tg-one", token_ttl="1h"))
    try:
        before = login(gw)
        claims = flow.jwt_payload(before)
        expect(claims["iss"] == "tg-one" and claims["exp"] - claims["iat"] == 3600, claims)

        reload(gw, auth_section("A", issuer="tg-two", token_ttl="10m"))
        after = login(gw)
        claims = flow.jwt_payload(after)
        expect(claims["iss"] == "tg-two" and claims["exp"] - claims["iat"] == 600, claims)
        accepted(gw, after, "a token of the new issuer")
        # the issuer is checked against the configured one: the old issuer's tokens go
        refused(gw, before, "a token of the old issuer")

        # a TTL change alone leaves earlier tokens valid until their own exp
        reload(gw, auth_section("A", issuer="tg-two", token_ttl="2m"))
        accepted(gw, after, "a 10-minute token after the TTL became 2 minutes")
        claims = flow.jwt_payload(login(gw))
        expect(claims["exp"] - claims["iat"] == 120, claims)
    finally:
        gw.stop()


def test_a_reload_whose_key_cannot_be_read_is_refused():
    gw = start(auth_section("A"))
    try:
        token = login(gw)
        missing = KEY_FILES["A"] + ".gone"
        for auth in (f"  secret_ref: file:{missing}",
                     auth_section("B") + f"\n  previous_secret_refs: [file:{missing}]"):
            logged = reload(gw, auth, want="config reload refused")
            expect(logged["level"] == "error" and missing in logged["error"], logged)
            accepted(gw, token, "the running keys after a refused reload")
            expect(signed_by(login(gw), "A"), "still signed with A")
        expect_no_key_in(gw)
    finally:
        gw.stop()


# ---- time claims ---------------------------------------------------------------------

def test_nbf_and_iat_beyond_the_leeway_are_refused_and_exp_is_exact():
    gw = start(auth_section("A"))  # clock_leeway: its default, 30s
    try:
        now = int(time.time())
        for claim in ("nbf", "iat"):
            accepted(gw, forge("A", **{claim: now + 10}), f"{claim} 10s ahead")
            accepted(gw, forge("A", **{claim: now - 3600}), f"{claim} an hour ago")
            refused(gw, forge("A", **{claim: now + 90}), f"{claim} 90s ahead")
            refused(gw, forge("A", **{claim: now + 3600}), f"{claim} an hour ahead")
            refused(gw, forge("A", **{claim: "later"}), f"{claim} not a number")
        # exp gets no leeway
        refused(gw, forge("A", exp=now - 2), "expired 2s ago")
        accepted(gw, forge("A", exp=now + 60), "a minute left")

        reload(gw, auth_section("A", clock_leeway="2m"))
        accepted(gw, forge("A", nbf=now + 90), "nbf 90s ahead with a 2m leeway")
        refused(gw, forge("A", iat=now + 600), "iat 10m ahead with a 2m leeway")
        refused(gw, forge("A", exp=now - 2), "expired 2s ago with a 2m leeway")
    finally:
        gw.stop()


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        if TDSD:
            TDSD["server"].stop()
