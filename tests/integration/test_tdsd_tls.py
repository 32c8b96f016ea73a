"""tdsd's TLS as SQL Server does it: the PRELOGIN ENCRYPTION answer for every client value
under each `tls.mode`, the handshake inside PRELOGIN packets, then the whole session
through TLS (ON/REQ) or LOGIN7 only (OFF); config and certificate errors at start-up.
The client here is Python's ssl on memory BIOs around tdsd_harness's raw TDS client;
tests/tdsd/interop runs the real clients (tsql, db-lib, pytds, tedious) over TLS."""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
sys.path.insert(0, harness.source_path("tests"))
import tdsd_harness as th  # noqa: E402
import tls_material  # noqa: E402
from harness import expect  # noqa: E402

OFF, ON, NOT_SUP, REQ = 0x00, 0x01, 0x02, 0x03
NAMES = {OFF: "OFF", ON: "ON", NOT_SUP: "NOT_SUP", REQ: "REQ"}

# SQL Server's answer to each client value, and whether the connection goes on.
EXPECTED = {
    "off": {OFF: (NOT_SUP, "plain"), ON: (NOT_SUP, "plain"), NOT_SUP: (NOT_SUP, "plain"),
            REQ: (NOT_SUP, "plain")},
    "optional": {OFF: (OFF, "login_only"), ON: (ON, "whole"), NOT_SUP: (NOT_SUP, "plain"),
                 REQ: (ON, "whole")},
    "required": {OFF: (REQ, "whole"), ON: (ON, "whole"), NOT_SUP: (REQ, "closed"),
                 REQ: (ON, "whole")},
}

PKI_DIR = tempfile.mkdtemp(prefix="tdsd-tls-test-")
CA = tls_material.make_ca(PKI_DIR, "tdsd TLS test CA")
CERT = tls_material.make_server_cert(CA, PKI_DIR, "tdsd", dns=["localhost"], ips=["127.0.0.1"])
SERVERS = {}


def tls_key(mode, cert=CERT):
    return f"tls: {{cert_file: {cert.cert}, key_file: {cert.key}, mode: {mode}}}\n"


def server(mode):
    """One tdsd per mode, started on first use."""
    if mode not in SERVERS:
        SERVERS[mode] = th.Tdsd(th.default_config(tls_key(mode) if mode != "off" else ""))
    return SERVERS[mode]


def prelogin_payload(encryption):
    # VERSION, ENCRYPTION, terminator
    return bytes([0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xFF]) + bytes([0x0F, 0, 0, 0, 0, 0, encryption])


def encryption_of(reply):
    """The ENCRYPTION value of a PRELOGIN reply payload."""
    pos = 0
    while reply[pos] != 0xFF:
        token, offset, length = reply[pos], *struct.unpack(">HH", reply[pos + 1:pos + 5])
        if token == 0x01:
            expect(length == 1, f"ENCRYPTION length {length}")
            return reply[offset]
        pos += 5
    raise AssertionError("no ENCRYPTION option in the reply")


class TlsSocket:
    """The socket surface RawTds uses (sendall, recv, close) through an ssl.SSLObject."""

    def __init__(self, sock, tls, incoming, outgoing):
        self.sock, self.tls, self.incoming, self.outgoing = sock, tls, incoming, outgoing

    def sendall(self, data):
        self.tls.write(data)
        self.sock.sendall(self.outgoing.read())

    def recv(self, n):
        while True:
            try:
                return self.tls.read(n)
            except ssl.SSLWantReadError:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return b""
                self.incoming.write(chunk)

    def close(self):
        self.sock.close()


class TlsClient(th.RawTds):
    """RawTds that negotiates ENCRYPTION and runs the TLS handshake inside PRELOGIN packets."""

    def __init__(self, port):
        super().__init__(port)
        self.plain = self.sock
        self.handshake_packet_types = set()

    def prelogin(self, encryption):
        self.send(0x12, prelogin_payload(encryption))
        payload, _ = self.read_message()
        return encryption_of(payload)

    def read_handshake_message(self):
        payload = b""
        while True:
            ptype, status, length = struct.unpack(">BBH", self.read_exact(8)[:4])
            self.handshake_packet_types.add(ptype)
            payload += self.read_exact(length - 8)
            if status & 1:
                return payload

    def start_tls(self, cafile=CA.cert, hostname="localhost"):
        """Runs the handshake; afterwards every byte goes through TLS. Returns the SSLObject."""
        context = ssl.create_default_context(cafile=cafile)  # offers TLS 1.3 too
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname=hostname)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.send(0x12, outgoing.read())
                incoming.write(self.read_handshake_message())
        expect(not outgoing.pending, "handshake bytes left to send after the handshake")
        self.sock = TlsSocket(self.plain, tls, incoming, outgoing)
        return tls

    def login_through_tls(self, login_only):
        """LOGIN7 through TLS; with `login_only` the reply (and all after it) comes in clear."""
        self.send(0x10, th.login7_payload(th.USER, th.PASSWORD, "DB1"))
        if login_only:
            self.sock = self.plain
        payload, _ = self.read_message()
        expect(b"\xad" in payload and payload[-13] == 0xFD, "no LOGINACK/DONE")

    def closed_by_server(self):
        try:
            return self.plain.recv(1) == b""
        except ConnectionResetError:
            return True


def big_query_works(client):
    """A reply far larger than one TLS record (16 KB) comes back whole."""
    # The raw LOGIN7 is not ODBC: TEXTSIZE starts at 4096 and would cut the value.
    client.batch("SET TEXTSIZE 1000000 SELECT '" + "x" * 30000 + "' AS big")
    payload, _ = client.read_message()
    # NVARCHAR(MAX) arrives in PLP chunks: look at the size, not one contiguous string.
    return len(payload) > 60000 and th.utf16("x" * 1000) in payload and th.last_done_status(payload) & 0x02 == 0


def run_cell(mode, client_value):
    want_answer, want_outcome = EXPECTED[mode][client_value]
    where = f"mode {mode}, client {NAMES[client_value]}"
    client = TlsClient(server(mode).port)
    try:
        answer = client.prelogin(client_value)
        expect(answer == want_answer, f"{where}: answer {NAMES.get(answer, answer)}, want {NAMES[want_answer]}")
        if want_outcome == "closed":
            expect(client.closed_by_server(), f"{where}: connection not closed after ENCRYPT_REQ")
            return
        if want_outcome == "plain":
            client.send(0x10, th.login7_payload(th.USER, th.PASSWORD, "DB1"))
            payload, _ = client.read_message()
            expect(b"\xad" in payload, f"{where}: no LOGINACK in clear")
        else:
            tls = client.start_tls()
            expect(tls.version() == "TLSv1.2", f"{where}: negotiated {tls.version()}, want TLSv1.2")
            expect(client.handshake_packet_types == {0x12}, f"{where}: handshake packet types "
                                                            f"{client.handshake_packet_types}")
            client.login_through_tls(login_only=want_outcome == "login_only")
        expect(big_query_works(client), f"{where}: large reply after login")
    finally:
        client.close()


def test_each_mode_answers_each_client_encryption_value_as_sql_server():
    for mode in ("off", "optional", "required"):
        for value in (OFF, ON, NOT_SUP, REQ):
            run_cell(mode, value)
    stats = server("required").stats()
    expect(stats["tls_sessions"] == 3 and stats["tls_refused"] == 1, f"required stats: {stats}")
    stats = server("optional").stats()
    expect(stats["tls_sessions"] == 2 and stats["tls_login_only"] == 1, f"optional stats: {stats}")


def test_whole_session_traffic_is_tls_records_only():
    # After the handshake nothing on the wire looks like a TDS header: every byte is a record.
    client = TlsClient(server("required").port)
    client.prelogin(ON)
    client.start_tls()
    client.login_through_tls(login_only=False)
    client.batch("SELECT 1 AS one")
    tls_socket = client.sock
    raw = tls_socket.sock.recv(5)
    expect(raw[0] == 0x17 and raw[1:3] == b"\x03\x03", f"not a TLS 1.2 application record: {raw!r}")
    tls_socket.incoming.write(raw)
    payload, _ = client.read_message()
    expect(th.last_done_status(payload) & 0x02 == 0, "the batch failed")
    client.close()


def test_cleartext_login_after_agreeing_to_encrypt_is_closed():
    for mode, value in (("optional", ON), ("optional", OFF), ("required", OFF)):
        client = TlsClient(server(mode).port)
        client.prelogin(value)
        client.send(0x10, th.login7_payload(th.USER, th.PASSWORD, "DB1"))
        expect(client.closed_by_server(), f"mode {mode}, client {NAMES[value]}: clear LOGIN7 accepted")
        client.close()
    expect(server("optional").server.wait_for_line("expected a TLS handshake in a PRELOGIN packet", 5),
           "no reason logged")


def test_login_without_prelogin_is_refused_by_mode_required():
    client = TlsClient(server("required").port)
    client.send(0x10, th.login7_payload(th.USER, th.PASSWORD, "DB1"))
    expect(client.closed_by_server(), "LOGIN7 without PRELOGIN accepted under mode required")
    client.close()


def test_a_client_that_rejects_the_certificate_leaves_no_session():
    stranger = tls_material.make_ca(PKI_DIR, "stranger")
    client = TlsClient(server("required").port)
    client.prelogin(ON)
    try:
        client.start_tls(cafile=stranger.cert)
        raise AssertionError("the handshake succeeded with a CA that did not sign the certificate")
    except ssl.SSLCertVerificationError:
        pass
    client.close()
    before = server("required").stats()
    expect(th.wait_until(lambda: server("required").stats()["connections"] == 0), "session left open")
    expect(before["logins"] == server("required").stats()["logins"], "a login happened")


def start_failure(config_text):
    """tdsd's exit code and stderr for a config it must refuse at start-up."""
    path = harness.write_temp(config_text)
    result = subprocess.run([harness.build_path("tests", "tdsd", "tdsd"), "--config", path],
                            capture_output=True, text=True, timeout=20,
                            env=dict(os.environ, TDSD_TEST_PASSWORD=th.PASSWORD))
    return result.returncode, result.stderr


def test_bad_tls_config_is_refused_at_start_up():
    other = tls_material.make_server_cert(CA, PKI_DIR, "other", dns=["localhost"])
    cases = [
        ("tls: {mode: required}\n", "needs cert_file and key_file"),
        (f"tls: {{cert_file: {CERT.cert}, key_file: {CERT.key}, mode: sometimes}}\n", "is not off, optional or required"),
        (f"tls: {{cert_file: {PKI_DIR}/missing.crt, key_file: {CERT.key}, mode: optional}}\n", "cannot read file"),
        (f"tls: {{cert_file: {CERT.cert}, key_file: {CERT.key}, mode: optional, ciphers: all}}\n", "unknown key 'ciphers'"),
        (tls_key("optional", CERT._replace(key=other.key)), "key values mismatch"),
        (tls_key("optional", CERT._replace(cert=CERT.key)), "cannot load certificate"),
    ]
    for extra, message in cases:
        code, err = start_failure(th.default_config(extra))
        expect(code == 1 and message in err, f"{extra.strip()}: exit {code}, {err!r}")


if __name__ == "__main__":
    try:
        harness.run_tests(globals())
    finally:
        for s in SERVERS.values():
            s.stop()
        shutil.rmtree(PKI_DIR, ignore_errors=True)
