"""Certificates for TLS tests, made at run time with the `openssl` command line tool.

No private key is ever committed: each test makes a CA and the server certificates it
needs in a temporary directory. Keys are EC P-256 (instant to generate, accepted by
OpenSSL, GnuTLS in FreeTDS, pyOpenSSL in pytds and Node in tedious).

    ca = make_ca(tmp, "Test CA")
    good = make_server_cert(ca, tmp, "tdsd", dns=["localhost"], ips=["127.0.0.1"])
    bad = make_bad_certs(ca, tmp, dns=["localhost"], ips=["127.0.0.1"])
    # good.cert / good.key / good.ca_cert, bad.expired, bad.wrong_name, bad.unknown_ca ...

From tests/integration: sys.path.insert(0, harness.source_path("tests")); import tls_material
"""

import collections
import datetime
import os
import re
import subprocess

CA = collections.namedtuple("CA", "cert key name directory")
ServerCert = collections.namedtuple("ServerCert", "cert key ca_cert name dns ips")
BadCerts = collections.namedtuple("BadCerts", "expired wrong_name unknown_ca unknown_ca_root")

WRONG_NAME = "wrong.example.test"
_VALID_DAYS = 30

# `openssl ca` (not `x509 -req`) because OpenSSL 3.0 can only back-date through it: an
# expired certificate needs an explicit start and end date in the past.
_CA_CONFIG = """
[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
certificate = {cert}
private_key = {key}
rand_serial = yes
default_md = sha256
policy = any_subject
unique_subject = no
copy_extensions = none
[any_subject]
commonName = supplied
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
{san}
"""


def _openssl(*args):
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "cert"


def _new_key(path):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    os.chmod(path, 0o600)


def _asn1_time(moment):
    return moment.strftime("%Y%m%d%H%M%SZ")


def make_ca(directory, name):
    """A self-signed CA in `directory`: returns CA(cert, key, name, directory)."""
    base = os.path.join(directory, _slug(name) + "-ca")
    os.makedirs(base + ".db/issued", exist_ok=True)
    open(os.path.join(base + ".db", "index.txt"), "w").close()
    key, cert = base + ".key", base + ".crt"
    _new_key(key)
    _openssl("req", "-x509", "-new", "-key", key, "-out", cert, "-days", str(_VALID_DAYS),
             "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return CA(cert=cert, key=key, name=name, directory=base + ".db")


def make_server_cert(ca, directory, name, dns=(), ips=(), expired=False):
    """A server certificate signed by `ca` with `dns`/`ips` in subjectAltName (CN = the
    first DNS name, else `name`: pytds checks the CN). `expired=True`: notAfter is past."""
    dns, ips = list(dns), list(ips)
    base = os.path.join(directory, _slug(name))
    key, csr, cert = base + ".key", base + ".csr", base + ".crt"
    _new_key(key)
    common_name = dns[0] if dns else name
    _openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={common_name}")
    sans = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
    config = os.path.join(base + ".cnf")
    with open(config, "w") as f:
        f.write(_CA_CONFIG.format(dir=ca.directory, cert=ca.cert, key=ca.key,
                                  san=f"subjectAltName = {', '.join(sans)}" if sans else ""))
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        start, end = now - datetime.timedelta(days=60), now - datetime.timedelta(days=1)
    else:
        start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=_VALID_DAYS)
    _openssl("ca", "-batch", "-config", config, "-extensions", "server_ext", "-notext",
             "-startdate", _asn1_time(start), "-enddate", _asn1_time(end), "-in", csr, "-out", cert)
    return ServerCert(cert=cert, key=key, ca_cert=ca.cert, name=name, dns=tuple(dns), ips=tuple(ips))


def make_bad_certs(ca, directory, dns, ips):
    """Certificates a verifying client must refuse: expired (by `ca`, right names),
    wrong_name (by `ca`, SAN only for wrong.example.test), unknown_ca (right names, signed
    by another CA whose root, unknown_ca_root, the tests never trust)."""
    stranger = make_ca(directory, f"{ca.name} stranger")
    return BadCerts(
        expired=make_server_cert(ca, directory, "bad-expired", dns=dns, ips=ips, expired=True),
        wrong_name=make_server_cert(ca, directory, "bad-wrong-name", dns=[WRONG_NAME]),
        unknown_ca=make_server_cert(stranger, directory, "bad-unknown-ca", dns=dns, ips=ips),
        unknown_ca_root=stranger.cert,
    )
