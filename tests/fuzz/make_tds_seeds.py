#!/usr/bin/env python3
"""Writes the hand-built TDS seeds of corpus/tds_packet/ (rerun after changing them)."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "tds_packet")


def packets(kind, payload, size=4096, status=0):
    """`payload` as client packets of type `kind`, split at `size` bytes."""
    out, chunk, pid = b"", size - 8, 1
    parts = [payload[i:i + chunk] for i in range(0, len(payload), chunk)] or [b""]
    for i, part in enumerate(parts):
        last = 0x01 if i == len(parts) - 1 else 0
        out += struct.pack(">BBHHBB", kind, status | last, len(part) + 8, 0, pid, 0) + part
        pid += 1
    return out


def u16s(text):
    return text.encode("utf-16-le")


def all_headers():
    # one transaction descriptor header: length 18, type 2, descriptor 0, 1 request
    header = struct.pack("<IHQI", 18, 2, 0, 1)
    return struct.pack("<I", 4 + len(header)) + header


def prelogin():
    # VERSION, ENCRYPTION (off), TERMINATOR
    options = struct.pack(">BHH", 0, 11, 6) + struct.pack(">BHH", 1, 17, 1) + b"\xff"
    return options + bytes([11, 0, 0, 0, 0, 0]) + b"\x02"


def login7(user="sa", password="secret", database="demo"):
    fields = [u16s("fuzzhost"), u16s(user), scramble(password), u16s("fuzz"), u16s("srv"),
              b"", u16s("lib"), u16s(""), u16s(database)]
    offset, table, data = 94, b"", b""
    for f in fields:
        table += struct.pack("<HH", offset + len(data), len(f) // 2)
        data += f
    fixed = struct.pack("<IIIIII", 94 + len(data), 0x74000004, 4096, 7, 0, 0)
    fixed += bytes([0xE0, 0x03, 0, 0]) + struct.pack("<iI", 0, 0x409)
    body = fixed + table + b"\x00" * 6 + struct.pack("<HHHHHHHHI", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    body = body[:94].ljust(94, b"\x00")
    return body + data


def scramble(password):
    return bytes((((b << 4) | (b >> 4)) & 0xFF) ^ 0xA5 for b in u16s(password))


def nvarchar(name, text):
    value = u16s(text)
    return (bytes([len(name)]) + u16s(name) + b"\x00" + b"\xe7" + struct.pack("<H", 8000)
            + b"\x09\x04\xd0\x00\x34" + struct.pack("<H", len(value)) + value)


def intn(name, value, size=4):
    fmt = {1: "<b", 2: "<h", 4: "<i", 8: "<q"}[size]
    return bytes([len(name)]) + u16s(name) + b"\x00\x26" + bytes([size, size]) + struct.pack(fmt, value)


def fltn(name, value):
    return bytes([len(name)]) + u16s(name) + b"\x00\x6d\x08\x08" + struct.pack("<d", value)


def null_bit(name):
    return bytes([len(name)]) + u16s(name) + b"\x00\x68\x01\x00"


def rpc_executesql():
    params = (nvarchar("", "SELECT * FROM Customers WHERE CustomerId = @id AND Name LIKE @n")
              + nvarchar("", "@id int, @n nvarchar(50), @r float, @b bit")
              + intn("@id", 42) + nvarchar("@n", "Acme%") + fltn("@r", 2.5) + null_bit("@b"))
    return all_headers() + struct.pack("<HHH", 0xFFFF, 10, 0) + params


def rpc_named():
    name = u16s("sp_executesql")
    return all_headers() + struct.pack("<H", len(name) // 2) + name + b"\x00\x00" + nvarchar("", "SELECT 1")


def sql_batch(text):
    return all_headers() + u16s(text)


def transaction(kind, name=""):
    return all_headers() + struct.pack("<H", kind) + bytes([len(name)]) + u16s(name) + b"\x00"


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "prelogin": packets(0x12, prelogin()),
        "login": packets(0x12, prelogin()) + packets(0x10, login7()),
        "batch": packets(0x01, sql_batch("SELECT TOP 5 Name FROM dbo.Customers ORDER BY Name")),
        "batch_split": packets(0x01, sql_batch("SELECT 1;" * 300), size=512, status=0x08),
        "rpc_executesql": packets(0x03, rpc_executesql()),
        "rpc_named": packets(0x03, rpc_named()),
        "transaction": packets(0x0E, transaction(5)) + packets(0x0E, transaction(7)),
        "attention": packets(0x06, b""),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
