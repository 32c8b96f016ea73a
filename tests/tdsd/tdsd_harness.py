"""Helpers for tests that need tdsd: start it on a config, drive its control port, and a
minimal raw TDS client for what pytds cannot do on purpose (ATTENTION timing, TLS, bad packets).

Import from a test in tests/integration:
    sys.path.insert(0, harness.source_path("tests", "tdsd")); import tdsd_harness
"""

import os
import socket
import struct
import time

import harness

SCHEMA = """
CREATE TABLE Customers (
  Id INT PRIMARY KEY,
  Code NVARCHAR(20) NOT NULL UNIQUE,
  Name NVARCHAR(100) NOT NULL,
  Balance FLOAT,
  Created DATETIME2,
  Active BIT,
  Notes NVARCHAR(MAX),
  Photo VARBINARY(MAX),
  CHECK (Balance IS NULL OR Balance >= 0)
)
GO
CREATE TABLE Orders (
  Id INT PRIMARY KEY,
  CustomerId INT NOT NULL REFERENCES Customers(Id),
  Amount FLOAT
)
GO
INSERT INTO Customers (Id, Code, Name, Balance, Created, Active, Notes) VALUES
  (1, 'ACME', 'Acme Corp', 10.5, '2024-01-15 08:30:00', 1, 'first'),
  (2, 'ZUB', N'Züblin', NULL, '2024-02-01', 0, NULL),
  (3, 'C3', 'Three', 3, '2024-03-03 03:03:03.1234567', 1, NULL),
  (4, 'C4', 'Four', 4, NULL, 1, NULL),
  (5, 'C5', 'Five', 5, NULL, 1, NULL)
GO
"""

USER, PASSWORD = "app", "s3cret"


def default_config(extra=""):
    """A config with two databases (DB1 with data, DB2 empty) and three logins."""
    schema = harness.write_temp(SCHEMA, suffix=".sql")
    return f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: {USER}, password: "${{TDSD_TEST_PASSWORD}}", databases: [DB1]}}
  - {{user: admin, password: adminpw, databases: ["*"]}}
  - {{user: other, password: otherpw, databases: [DB2]}}
databases:
  - name: DB1
    file: ":memory:"
    init: [{schema}]
  - name: DB2
{extra}"""


class Tdsd:
    """A running tdsd with its control port."""

    def __init__(self, config_text=None, env=None):
        self.config_path = harness.write_temp(config_text or default_config())
        full_env = {"TDSD_TEST_PASSWORD": PASSWORD, "TDSD_EXIT_WITH_PARENT": "1"}
        full_env.update(env or {})
        self.server = harness.Server([harness.build_path("tests", "tdsd", "tdsd"), "--config", self.config_path],
                                     env=full_env, name="tdsd")
        self.port = self.server.port
        match = self.server.wait_for_line(r"control on (\S+):(\d+)", 5)
        assert match, "no control line"
        self.control_port = int(match.group(2))

    def control(self, command, timeout=10.0):
        """Sends one control command, returns the reply line."""
        with socket.create_connection(("127.0.0.1", self.control_port), timeout=timeout) as sock:
            sock.sendall(command.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data.decode().strip()

    def stats(self):
        reply = self.control("stats")
        assert reply.startswith("ok "), reply
        return {k: int(v) for k, v in (kv.split("=") for kv in reply[3:].split())}

    def connect(self, user=USER, password=PASSWORD, database="DB1", **kw):
        import pytds
        kw.setdefault("autocommit", True)
        kw.setdefault("login_timeout", 10)
        kw.setdefault("timeout", 30)
        return pytds.connect(server="127.0.0.1", port=self.port, user=user, password=password,
                             database=database, **kw)

    def stop(self):
        return self.server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---- a minimal raw TDS client -------------------------------------------------------

def utf16(s):
    return s.encode("utf-16-le")


def prelogin_payload():
    # VERSION, ENCRYPTION (NOT_SUP), terminator
    header = bytes([0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xFF])
    return header + bytes([0x0F, 0, 0, 0, 0, 0]) + bytes([2])


def login7_payload(user, password, database, app="raw-test"):
    scrambled = bytes((((b << 4) & 0xF0) | (b >> 4)) ^ 0xA5 for b in utf16(password))
    fields = [utf16("testhost"), utf16(user), scrambled, utf16(app), utf16("server"), b"",
              utf16("raw"), b"", utf16(database)]
    fixed = bytearray(94)
    struct.pack_into("<I", fixed, 4, 0x74000004)
    struct.pack_into("<I", fixed, 8, 4096)
    offset = 94
    data = b""
    for i, f in enumerate(fields):
        struct.pack_into("<HH", fixed, 36 + 4 * i, offset, len(f) // 2)
        data += f
        offset += len(f)
    for pos in (78, 82, 86):  # SSPI, attach db, change password: empty
        struct.pack_into("<HH", fixed, pos, offset, 0)
    struct.pack_into("<I", fixed, 0, 94 + len(data))
    return bytes(fixed) + data


def all_headers():
    # transaction descriptor header: length 18, type 2, descriptor 0, outstanding requests 1
    return struct.pack("<IIHQI", 22, 18, 2, 0, 1)


def plp(data):
    return struct.pack("<Q", len(data)) + (struct.pack("<I", len(data)) + data if data else b"") + struct.pack("<I", 0)


def nvarchar_max_param(name, text):
    return bytes([len(name)]) + utf16(name) + b"\x00" + b"\xe7\xff\xff" + bytes([9, 4, 0xD0, 0, 0x34]) + \
        (plp(utf16(text)) if text is not None else b"\xff" * 8)


def ntext_param(name, text):
    data = utf16(text)
    return bytes([len(name)]) + utf16(name) + b"\x00" + b"\x63" + struct.pack("<i", 2 ** 30) + \
        bytes([9, 4, 0xD0, 0, 0x34]) + struct.pack("<i", len(data)) + data


def int_param(name, value):
    return bytes([len(name)]) + utf16(name) + b"\x00" + b"\x26\x04\x04" + struct.pack("<i", value)


def rpc_payload(params, proc_name="sp_executesql"):
    if proc_name is None:
        head = struct.pack("<HH", 0xFFFF, 10)
    else:
        head = struct.pack("<H", len(proc_name)) + utf16(proc_name)
    return all_headers() + head + struct.pack("<H", 0) + b"".join(params)


class RawTds:
    """Speaks just enough TDS to log in and send batches, RPCs and ATTENTION."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send(self, ptype, payload, packet_size=4096, status_bits=0):
        body = packet_size - 8
        chunks = [payload[i:i + body] for i in range(0, len(payload), body)] or [b""]
        for i, chunk in enumerate(chunks):
            status = (1 if i == len(chunks) - 1 else 0) | status_bits
            self.sock.sendall(struct.pack(">BBHHBB", ptype, status, len(chunk) + 8, 0, i + 1, 0) + chunk)

    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by server")
            data += chunk
        return data

    def read_message(self):
        """Returns (payload, spid) of the next whole server message."""
        payload = b""
        while True:
            header = self.read_exact(8)
            ptype, status, length, spid = struct.unpack(">BBHH", header[:6])
            assert ptype == 4, f"reply packet type {ptype}"
            payload += self.read_exact(length - 8)
            if status & 1:
                return payload, spid

    def login(self, user=USER, password=PASSWORD, database="DB1"):
        self.send(0x12, prelogin_payload())
        self.read_message()
        self.send(0x10, login7_payload(user, password, database))
        payload, spid = self.read_message()
        assert b"\xad" in payload and payload[-13] == 0xFD, "no LOGINACK/DONE"
        return spid

    def batch(self, sql, status_bits=0):
        self.send(0x01, all_headers() + utf16(sql), status_bits=status_bits)

    def attention(self):
        self.send(0x06, b"")

    def close(self):
        self.sock.close()


def last_done_status(payload):
    assert len(payload) >= 13 and payload[-13] in (0xFD, 0xFE, 0xFF), f"message does not end in DONE: {payload[-16:]!r}"
    return struct.unpack("<H", payload[-12:-10])[0]


def wait_until(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
