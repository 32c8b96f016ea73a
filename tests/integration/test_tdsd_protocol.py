"""tdsd speaks TDS 7.4 to pytds and to a raw client: login, batches, RPC parameters,
errors, transactions, ATTENTION, framing and malformed input."""

import datetime
import decimal
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness as th  # noqa: E402
from harness import expect  # noqa: E402

import pytds  # noqa: E402

SERVER = None


def server():
    global SERVER
    if SERVER is None:
        SERVER = th.Tdsd()
    return SERVER


def expect_db_error(fn, number, contains=""):
    try:
        fn()
    except pytds.Error as e:
        got = getattr(e, "msg_no", None) or getattr(e, "number", None)
        expect(got == number, f"error number {got}, want {number}: {e}")
        expect(contains in str(e), f"{e!r} lacks {contains!r}")
        return e
    raise AssertionError(f"no error {number}")


def test_login_ok_and_default_database():
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select count(*) from Customers")
        expect(cur.fetchone()[0] == 5)
    # An empty database in LOGIN7 opens the login's first allowed database.
    with server().connect(database="") as conn:
        cur = conn.cursor()
        cur.execute("select Name from Customers where Id = 1")
        expect(cur.fetchone()[0] == "Acme Corp")


def test_login_bad_password_unknown_user_and_forbidden_database():
    once = {"disable_connect_retry": True}
    expect_db_error(lambda: server().connect(password="wrong", **once), 18456, "Login failed for user 'app'")
    expect_db_error(lambda: server().connect(user="nobody", **once), 18456, "Login failed")
    expect_db_error(lambda: server().connect(database="DB2", **once), 4060, "Cannot open database \"DB2\"")
    expect_db_error(lambda: server().connect(user="admin", password="adminpw", database="NOPE", **once), 4060)
    with server().connect(user="admin", password="adminpw", database="DB2") as conn:
        cur = conn.cursor()
        cur.execute("select 7")
        expect(cur.fetchone()[0] == 7)
    log = "\n".join(server().server.output())
    expect("wrong password" in log and "unknown user" in log, "login failures are logged with a reason")


def test_failed_login_closes_the_connection():
    raw = th.RawTds(server().port)
    raw.send(0x12, th.prelogin_payload())
    raw.read_message()
    raw.send(0x10, th.login7_payload(th.USER, "bad", "DB1"))
    payload, _ = raw.read_message()
    expect(payload[0] == 0xAA and struct.unpack("<i", payload[3:7])[0] == 18456, "ERROR 18456 first")
    expect(th.last_done_status(payload) & 0x02, "DONE carries the error bit")
    expect(raw.sock.recv(10) == b"", "server closes after a failed login")
    raw.close()


def test_reply_header_has_spid_and_prelogin_says_not_supported():
    raw = th.RawTds(server().port)
    raw.send(0x12, th.prelogin_payload())
    payload, spid = raw.read_message()
    expect(spid != 0, "non-zero SPID in the header")
    # ENCRYPTION option: find its offset in the option table
    i = 0
    encryption = None
    while payload[i] != 0xFF:
        token, offset, length = payload[i], *struct.unpack(">HH", payload[i + 1:i + 5])
        if token == 1:
            encryption = payload[offset]
        i += 5
    expect(encryption == 2, f"ENCRYPTION {encryption}, want 2 (NOT_SUP)")
    raw.send(0x10, th.login7_payload(th.USER, th.PASSWORD, "DB1"))
    payload, login_spid = raw.read_message()
    expect(login_spid == spid)
    raw.batch("select @@spid")
    payload, _ = raw.read_message()
    expect(struct.pack("<BQ", 8, spid)[:3] in payload or struct.pack("<i", spid) in payload, "@@SPID is the header SPID")
    raw.close()


def test_batch_with_several_result_sets_and_counts():
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select Id from Customers where Id <= 2 order by Id; "
                    "select Name, Balance from Customers where Id = 3; "
                    "update Customers set Active = 1 where Id > 3")
        expect(cur.fetchall() == [(1,), (2,)])
        expect(cur.nextset())
        expect(cur.fetchall() == [("Three", 3.0)])
        cur.execute("insert into Orders (Id, CustomerId, Amount) values (100, 1, 1.5), (101, 1, 2.5)")
        expect(cur.rowcount == 2, f"rowcount {cur.rowcount}")
        cur.execute("delete from Orders where CustomerId = 1")
        expect(cur.rowcount == 2)


def test_column_types_and_nulls():
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select Id, Code, Name, Balance, Created, Active, Notes, Photo from Customers where Id in (1,2,3) order by Id")
        rows = cur.fetchall()
        expect(rows[0] == (1, "ACME", "Acme Corp", 10.5, datetime.datetime(2024, 1, 15, 8, 30), True, "first", None), rows[0])
        expect(rows[1][2] == "Züblin" and rows[1][3] is None and rows[1][4] == datetime.datetime(2024, 2, 1))
        expect(rows[1][5] is False and rows[1][6] is None)
        expect(rows[2][4] == datetime.datetime(2024, 3, 3, 3, 3, 3, 123456), rows[2][4])
        types = [d[1] for d in cur.description]
        expect(types[0] == 38 or types[0] in (56, 127), f"INT column type {types[0]}")
        # untyped expressions are typed from their values and, unaliased, have no name
        cur.execute("select 1 + 1, 2.5 * 2, 'abc' || 'd', null, x'0102', 7 as seven")
        expect(cur.fetchone() == (2, 5.0, "abcd", None, b"\x01\x02", 7))
        expect([d[0] for d in cur.description] == ["", "", "", "", "", "seven"], cur.description)


def test_large_values_span_packets():
    big = "ü" * 9000
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select %s as big, 'tail' as t", (big,))
        expect(cur.fetchone() == (big, "tail"))
        blob = bytes(range(256)) * 100
        cur.execute("update Customers set Photo = %s where Id = 5", (pytds.Binary(blob),))
        cur.execute("select Photo from Customers where Id = 5")
        expect(cur.fetchone()[0] == blob)
        cur.execute("select * from (select %s as s) where length(s) = 9000", (big,))
        expect(len(cur.fetchall()) == 1)


def test_parameter_types_round_trip():
    values = [42, -7, 2 ** 40, 3.25, True, False, "héllo wörld ✓", "", None,
              datetime.datetime(2023, 12, 31, 23, 59, 58, 500000), datetime.date(2020, 2, 29),
              decimal.Decimal("12.345"), pytds.Binary(b"\x00\xff\x10")]
    with server().connect() as conn:
        cur = conn.cursor()
        for v in values:
            cur.execute("select %s as v", (v,))
            got = cur.fetchone()[0]
            if isinstance(v, bool):
                expect(got == int(v), f"{v!r} -> {got!r}")
            elif isinstance(v, datetime.datetime):
                expect(got == "2023-12-31 23:59:58.5", f"{v!r} -> {got!r}")
            elif isinstance(v, datetime.date):
                expect(got == "2020-02-29", f"{v!r} -> {got!r}")
            elif isinstance(v, decimal.Decimal):
                # A bare parameter has no declared type: the exact digits come back as text.
                expect(got == "12.345", f"{v!r} -> {got!r}")
            elif isinstance(v, bytes):
                expect(got == bytes(v), f"{v!r} -> {got!r}")
            else:
                expect(got == v, f"{v!r} -> {got!r}")
        # a datetime parameter compares equal with stored DATETIME2 text
        cur.execute("select Code from Customers where Created = %s", (datetime.datetime(2024, 1, 15, 8, 30),))
        expect(cur.fetchall() == [("ACME",)])
        cur.execute("select Code from Customers where Id = %(id)s and Name = %(name)s", {"id": 2, "name": "Züblin"})
        expect(cur.fetchall() == [("ZUB",)])


def test_rpc_by_name_with_nvarchar_max_and_ntext():
    raw = th.RawTds(server().port)
    raw.login()
    for proc in ("sp_executesql", None):
        stmt = th.nvarchar_max_param("", "select Name from Customers where Id = @id")
        decl = th.ntext_param("", "@id int")
        raw.send(0x03, th.rpc_payload([stmt, decl, th.int_param("@id", 3)], proc_name=proc))
        payload, _ = raw.read_message()
        expect(th.utf16("Three") in payload, f"row in RPC reply ({proc})")
        expect(payload[-13] == 0xFE and b"\x79\x00\x00\x00\x00" in payload, "RETURNSTATUS then DONEPROC")
    # NVARCHAR(MAX) NULL and a missing parameter
    raw.send(0x03, th.rpc_payload([th.nvarchar_max_param("", "select @x"), th.ntext_param("", "@x nvarchar(max)"),
                                   th.nvarchar_max_param("@x", None)]))
    payload, _ = raw.read_message()
    expect(payload[-13] == 0xFE and not th.last_done_status(payload) & 0x02, "NULL PLP parameter accepted")
    raw.send(0x03, th.rpc_payload([th.nvarchar_max_param("", "select @missing"), th.ntext_param("", "")]))
    payload, _ = raw.read_message()
    expect(payload[0] == 0xAA and struct.unpack("<i", payload[3:7])[0] == 137, "error 137 for an undeclared variable")
    # the multi-RPC separator is refused with an error, the connection stays
    two = th.rpc_payload([th.nvarchar_max_param("", "select 1")]) + b"\xff" + b"\x0d\x00" + th.utf16("sp_executesql")
    raw.send(0x03, two)
    payload, _ = raw.read_message()
    expect(payload[0] == 0xAA and b"batched" in payload.replace(b"\x00", b""), "batched RPC refused")
    raw.batch("select 5")
    payload, _ = raw.read_message()
    expect(th.last_done_status(payload) & 0x02 == 0)
    raw.close()


def test_sql_errors_keep_the_connection_usable():
    with server().connect() as conn:
        cur = conn.cursor()
        cases = [
            ("insert into Customers (Id, Code, Name) values (1, 'X1', 'dup pk')", 2627, "PRIMARY KEY"),
            ("insert into Customers (Id, Code, Name) values (90, 'ACME', 'dup code')", 2627, "Violation of UNIQUE KEY constraint"),
            ("insert into Customers (Id, Code) values (91, 'X2')", 515, "Cannot insert the value NULL into column 'Name'"),
            ("insert into Orders (Id, CustomerId) values (1, 999)", 547, "FOREIGN KEY"),
            ("update Customers set Balance = -1 where Id = 1", 547, "CHECK"),
            ("select nosuch from Customers", 207, "Invalid column name 'nosuch'"),
            ("select * from NoSuchTable", 208, "Invalid object name 'NoSuchTable'"),
            ("select from where", 102, "Incorrect syntax"),
        ]
        for sql, number, text in cases:
            expect_db_error(lambda: cur.execute(sql), number, text)
            cur.execute("select 1")
            expect(cur.fetchone()[0] == 1, f"usable after {number}")


def test_constraint_error_ends_its_statement_other_errors_the_batch():
    raw = th.RawTds(server().port)
    raw.login()
    raw.batch("insert into Customers (Id, Code, Name) values (1, 'D', 'dup'); select 42 as after")
    payload, _ = raw.read_message()
    expect(payload[0] == 0xAA, "ERROR first")
    done_at = payload.index(bytes([0xFD, 0x03, 0x00]))  # DONE(ERROR | MORE)
    expect(payload[done_at + 13] == 0x81, "then the next statement's result")
    expect(th.last_done_status(payload) == 0x10, "final DONE: COUNT, no MORE")
    raw.batch("select * from NoSuchTable; select 43")
    payload, _ = raw.read_message()
    expect(payload[0] == 0xAA and 0x81 not in payload[-13:] and th.last_done_status(payload) == 0x02,
           "an invalid object ends the batch")
    raw.close()


def test_transactions_via_transaction_manager():
    with server().connect(autocommit=False) as conn:
        cur = conn.cursor()
        cur.execute("insert into Orders (Id, CustomerId, Amount) values (500, 2, 1)")
        conn.rollback()
        cur.execute("select count(*) from Orders where Id = 500")
        expect(cur.fetchone()[0] == 0, "rolled back")
        cur.execute("insert into Orders (Id, CustomerId, Amount) values (501, 2, 1)")
        conn.commit()
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select count(*) from Orders where Id = 501")
        expect(cur.fetchone()[0] == 1, "committed, visible to another connection")
        cur.execute("delete from Orders where Id = 501")


def test_sql_transactions_announce_envchanges():
    raw = th.RawTds(server().port)
    raw.login()
    raw.batch("BEGIN TRANSACTION; insert into Orders (Id, CustomerId, Amount) values (800, 1, 1)")
    payload, _ = raw.read_message()
    begin = payload.find(bytes([0xE3, 11, 0, 8, 8]))
    expect(begin == 0, f"ENVCHANGE 8 with an 8-byte descriptor first: {payload[:16]!r}")
    descriptor = payload[begin + 5:begin + 13]
    raw.batch("ROLLBACK")
    payload, _ = raw.read_message()
    expect(payload.startswith(bytes([0xE3, 11, 0, 10, 0, 8]) + descriptor), f"ENVCHANGE 10: {payload[:16]!r}")
    raw.batch("BEGIN TRAN; COMMIT TRAN")
    payload, _ = raw.read_message()
    expect(bytes([0xE3, 11, 0, 9, 0, 8]) in payload, "ENVCHANGE 9 on COMMIT")
    raw.batch("select count(*) from Orders where Id = 800")
    payload, _ = raw.read_message()
    at = payload.index(bytes([0xD1, 4])) + 2  # COUNT(*) is an INT, as in SQL Server
    expect(struct.unpack("<i", payload[at:at + 4])[0] == 0, "rolled back")
    raw.close()
    with server().connect() as conn:  # pytds follows the descriptors in its request headers
        cur = conn.cursor()
        cur.execute("BEGIN TRAN")
        cur.execute("insert into Orders (Id, CustomerId, Amount) values (801, 1, 1)")
        cur.execute("COMMIT")
        cur.execute("select count(*) from Orders where Id = 801")
        expect(cur.fetchone()[0] == 1)
        cur.execute("delete from Orders where Id = 801")


def test_attention_during_query_and_while_idle():
    raw = th.RawTds(server().port)
    raw.login()
    raw.batch("select 1; WAITFOR DELAY '00:00:20'")
    time.sleep(0.5)
    started = time.monotonic()
    raw.attention()
    first, _ = raw.read_message()
    expect(not th.last_done_status(first) & 0x20, "the cancelled request's own message comes first")
    second, _ = raw.read_message()
    expect(len(second) == 13 and th.last_done_status(second) & 0x20, f"then DONE(ATTN) alone: {second!r}")
    expect(time.monotonic() - started < 10, "the sleep was interrupted")
    # idle attention: just the acknowledgement
    raw.attention()
    msg, _ = raw.read_message()
    expect(len(msg) == 13 and th.last_done_status(msg) == 0x20, f"idle ATTENTION ack: {msg!r}")
    raw.batch("select 11")
    msg, _ = raw.read_message()
    expect(th.last_done_status(msg) & 0x22 == 0, "usable after cancel")
    raw.close()


def test_pytds_timeout_then_server_still_serves():
    conn = server().connect(timeout=1)
    cur = conn.cursor()
    started = time.monotonic()
    try:
        cur.execute("WAITFOR DELAY '00:00:30'")
        raise AssertionError("no timeout")
    except (pytds.Error, socket.timeout, TimeoutError):
        pass
    expect(time.monotonic() - started < 15)
    try:
        conn.close()
    except Exception:  # pytds may already consider the connection dead after its timeout
        pass
    with server().connect() as conn:
        cur = conn.cursor()
        cur.execute("select 3")
        expect(cur.fetchone()[0] == 3)


def test_reset_connection_flag_rolls_back_and_is_acknowledged():
    raw = th.RawTds(server().port)
    raw.login()
    raw.batch("BEGIN TRANSACTION; insert into Orders (Id, CustomerId, Amount) values (700, 1, 1)")
    payload, _ = raw.read_message()
    expect(th.last_done_status(payload) & 0x02 == 0, f"insert in a transaction: {payload!r}")
    raw.batch("select count(*) from Orders where Id = 700", status_bits=0x08)
    payload, _ = raw.read_message()
    expect(payload[:4] == bytes([0xE3, 3, 0, 18]), f"ENVCHANGE 18 first: {payload[:8]!r}")
    raw.batch("select count(*) from Orders where Id = 700")
    payload, _ = raw.read_message()
    count_at = payload.index(bytes([0xD1, 4])) + 2  # COUNT(*) is an INT
    expect(struct.unpack("<i", payload[count_at:count_at + 4])[0] == 0, "the open transaction was rolled back")
    raw.close()


def test_multi_packet_request():
    raw = th.RawTds(server().port)
    raw.login()
    sql = "select '" + "x" * 20000 + "' as big"
    raw.batch(sql)
    payload, _ = raw.read_message()
    expect(th.utf16("x" * 100) in payload and th.last_done_status(payload) & 0x02 == 0)
    raw.close()


def test_tls_client_hello_is_closed_cleanly():
    hello = bytes([0x16, 0x03, 0x01, 0x00, 0x40]) + os.urandom(0x40)
    data = harness.raw_exchange(server().port, hello, timeout=5)
    expect(data == b"", f"no reply to a TLS ClientHello: {data[:20]!r}")
    expect(server().server.wait_for_line("TLS ClientHello", 5), "logged")


def test_unknown_and_malformed_packets_are_closed():
    data = harness.raw_exchange(server().port, struct.pack(">BBHHBB", 0x42, 1, 8, 0, 1, 0), timeout=5)
    expect(data == b"")
    expect(server().server.wait_for_line("unknown packet type 0x42", 5))
    data = harness.raw_exchange(server().port, struct.pack(">BBHHBB", 0x12, 1, 4, 0, 1, 0), timeout=5)
    expect(data == b"")
    expect(server().server.wait_for_line("packet length 4", 5))
    # a garbage LOGIN7 after PRELOGIN
    raw = th.RawTds(server().port)
    raw.send(0x12, th.prelogin_payload())
    raw.read_message()
    raw.send(0x10, b"\x10\x00")
    expect(raw.sock.recv(10) == b"")
    raw.close()
    with server().connect() as conn:
        conn.cursor().execute("select 1")


def test_sigterm_exits_cleanly_during_a_sleep():
    tdsd = th.Tdsd()
    raw = th.RawTds(tdsd.port)
    raw.login()
    raw.batch("WAITFOR DELAY '00:01:00'")
    time.sleep(0.3)
    started = time.monotonic()
    code = tdsd.stop()
    expect(code == 0, f"exit code {code}")
    expect(time.monotonic() - started < 8, "shutdown interrupts sleeping queries")
    raw.close()


if __name__ == "__main__":
    try:
        harness.run_tests(dict(globals()))
    finally:
        if SERVER:
            SERVER.stop()
