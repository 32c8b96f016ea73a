"""pytds (Debian's python3-tds, pure-Python TDS) against tdsd, with its default
autocommit=False: transactions through TDS transaction-manager requests."""

import datetime
import decimal
import time
import uuid

import pytds

from tdsd_fixture import (DATABASE, PASSWORD, TLS_HOST, TLS_LOG, USER, expect, make_certificates, run_tests,
                          start_tdsd, start_tls_tdsd)

CA, CERT, BAD = make_certificates()


def connect(server, password=PASSWORD, **kw):
    return pytds.connect(server.host, DATABASE, USER, password, port=server.port, **kw)


def connect_tls(server, cafile=CA.cert, **kw):
    """pytds with a CA file (ENCRYPT_ON) and its host name check, to TLS_HOST."""
    return pytds.connect(TLS_HOST, DATABASE, USER, PASSWORD, port=server.port, cafile=cafile,
                         validate_host=True, login_timeout=10, **kw)


def test_login_good_and_bad():
    with start_tdsd() as server:
        with connect(server) as conn:
            cur = conn.cursor()
            cur.execute("SELECT @@SPID")
            expect(cur.fetchone()[0] > 0, "no SPID")
        try:
            connect(server, password="wrong").close()
            raise AssertionError("a wrong password logged in")
        except pytds.tds_base.Error as e:
            expect("18456" in repr(e) or "Login failed" in str(e), f"unexpected error: {e!r}")


def test_batch_with_several_result_sets():
    with start_tdsd() as server, connect(server) as conn:
        cur = conn.cursor()
        cur.execute("SET NOCOUNT ON; SELECT 1 AS a; SELECT N'zwei' AS b, 3 AS c")
        expect(cur.fetchall() == [(1,)], "first set")
        expect(cur.nextset(), "no second result set")
        expect(cur.fetchall() == [("zwei", 3)], "second set")
        expect([d[0] for d in cur.description] == ["b", "c"], f"names: {cur.description}")


def test_sp_executesql_with_every_parameter_type():
    params = (7, 2**40 + 5, 3.25, True, "Grüße 東京 ✓", pytds.Binary(b"\x00\x01\xfe\xff"),
              datetime.datetime(2024, 5, 1, 10, 20, 30, 123456), None, decimal.Decimal("12.34"),
              datetime.date(2024, 5, 1), datetime.time(10, 20, 30),
              uuid.UUID("12345678-1234-5678-1234-567812345678"))
    with start_tdsd() as server, connect(server) as conn:
        cur = conn.cursor()
        cur.execute("SELECT %s AS i, %s AS b, %s AS f, %s AS t, %s AS s, %s AS bin, %s AS d, "
                    "%s AS n, %s AS dec, %s AS day, %s AS tm, %s AS g", params)
        row = cur.fetchone()
        expect(row[:4] == (7, 2**40 + 5, 3.25, 1), f"numbers: {row}")
        expect(row[4] == "Grüße 東京 ✓", f"text: {row[4]!r}")
        expect(row[5] == b"\x00\x01\xfe\xff", f"binary: {row[5]!r}")
        # A bare parameter has no declared type in SQLite: dates come back as ISO text.
        expect(str(row[6]).startswith("2024-05-01 10:20:30.123456"), f"datetime: {row[6]!r}")
        expect(row[7] is None, f"NULL: {row[7]!r}")
        expect(abs(float(row[8]) - 12.34) < 1e-9, f"decimal: {row[8]!r}")
        expect(str(row[9]).startswith("2024-05-01"), f"date: {row[9]!r}")
        expect(str(row[10]).startswith("10:20:30"), f"time: {row[10]!r}")
        expect(str(row[11]).lower() == "12345678-1234-5678-1234-567812345678", f"guid: {row[11]!r}")


def test_every_result_type_and_nulls():
    with start_tdsd() as server, connect(server) as conn:
        cur = conn.cursor()
        cur.execute("SELECT I32, I64, F, B, S, Doc, Bin, Blob, D FROM AllTypes ORDER BY Id")
        values, nulls = cur.fetchall()
        expect(values == (-42, 9007199254740993, 2.5, True, "Müller 東京", "doc", b"\x00\xff\x10",
                          b"\xca\xfe", datetime.datetime(2024, 5, 1, 10, 20, 30, 123456)),
               f"values: {values}")
        expect(type(values[3]) is bool, f"BIT is {type(values[3])}")
        expect(nulls == (None,) * 9, f"nulls: {nulls}")


TYPED_COLUMNS = ("Tiny, Small, Int32, Big, Price, Wide, Num, Cash, SmallCash, Ratio, Measure, Day, Clock, "
                 "Stamp, SmallStamp, Precise, Appointment, Ref, Code, Latin, LatinMax, Fixed, Label, Raw, Blob, Flag")


def test_typed_table_round_trip():
    """Edge values of every declared type written through pytds's typed parameters and
    read back with the Python types SQL Server's TYPE_INFO gives them."""
    plus14 = datetime.timezone(datetime.timedelta(hours=14))
    minus12 = datetime.timezone(datetime.timedelta(hours=-12))
    rows = [
        (255, 32767, 2147483647, 2**63 - 1, decimal.Decimal("9999999999.99"),
         decimal.Decimal("9999999999999999999999999999.9999999999"), decimal.Decimal("9" * 38),
         decimal.Decimal("922337203685477.5807"), decimal.Decimal("214748.3647"), 1.5, 2.25,
         datetime.date(9999, 12, 31), datetime.time(23, 59, 59, 999999),
         datetime.datetime(2024, 5, 1, 10, 20, 30, 500000), datetime.datetime(2079, 6, 6, 23, 59),
         datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
         datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=plus14),
         uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff"), "AB", "€ Š œ ÿ Müller", "€" * 5000, "x",
         "Grüße 東京", pytds.Binary(b"\x01\x02\x03\x04"), pytds.Binary(b"\xca\xfe"), True),
        (0, -32768, -2147483648, -2**63, decimal.Decimal("-9999999999.99"),
         decimal.Decimal("-9999999999999999999999999999.9999999999"), decimal.Decimal("-" + "9" * 38),
         decimal.Decimal("-922337203685477.5808"), decimal.Decimal("-214748.3648"), -0.25, -2.5,
         datetime.date(1, 1, 1), datetime.time(0, 0), datetime.datetime(1753, 1, 1),
         datetime.datetime(1900, 1, 1), datetime.datetime(1, 1, 1),
         datetime.datetime(1, 1, 1, tzinfo=minus12), uuid.UUID(int=0), "Zz", "ÿ", "", "y", "x",
         pytds.Binary(b"\x00\x00\x00\x00"), pytds.Binary(b"\x00"), False),
    ]
    with start_tdsd() as server, connect(server, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("DELETE FROM Typed")
        for row in rows:
            cur.execute(f"INSERT INTO Typed ({TYPED_COLUMNS}) VALUES ({', '.join(['%s'] * len(row))})", row)
        cur.execute("INSERT INTO Typed (Tiny) VALUES (NULL)")
        cur.execute(f"SELECT {TYPED_COLUMNS} FROM Typed ORDER BY Id")
        got = cur.fetchall()
        # CHAR(4) and NCHAR(3) come back padded, as SQL Server stores them.
        def expected(i, v):
            if i in (18, 21):
                return v.ljust(4 if i == 18 else 3)
            return bytes(v) if i in (23, 24) else v
        want = [tuple(expected(i, v) for i, v in enumerate(row)) for row in rows]
        for g, w in zip(got, want):
            for name, gv, wv in zip(TYPED_COLUMNS.split(", "), g, w):
                expect(gv == wv and type(gv) is type(wv), f"{name}: got {gv!r}, want {wv!r}")
        expect(got[2] == (None,) * len(rows[0]), f"NULLs: {got[2]}")
        cur.execute("SELECT Id FROM Typed WHERE Price = %s AND Ref = %s",
                    (decimal.Decimal("-9999999999.99"), uuid.UUID(int=0)))
        expect(len(cur.fetchall()) == 1, "typed parameters find the row")


def test_cast_keeps_its_target_type():
    """A top-level CAST / CONVERT result goes out as its target type, the value converted."""
    with start_tdsd() as server, connect(server) as conn:
        cur = conn.cursor()
        cur.execute("SELECT CAST(1.005 AS DECIMAL(5,2)) AS d, CAST(-1.005 AS DECIMAL(5,2)), "
                    "CAST('2024-01-02 10:11:12' AS DATE), CONVERT(DATETIMEOFFSET(0), '2024-01-02 10:11:12 +14:00'), "
                    "CAST(12.34565 AS MONEY), CAST(N'abcdef' AS NVARCHAR(3)), CAST(7 AS TINYINT), "
                    "CAST('6F9619FF-8B86-D011-B42D-00C04FC964FF' AS UNIQUEIDENTIFIER), CAST(2 AS BIT), "
                    "CAST('10:11:12.5' AS TIME(1)), CAST(Price AS DECIMAL(14,1)) FROM Typed")
        row = cur.fetchone()
        plus14 = datetime.timezone(datetime.timedelta(hours=14))
        want = (decimal.Decimal("1.01"), decimal.Decimal("-1.01"), datetime.date(2024, 1, 2),
                datetime.datetime(2024, 1, 2, 10, 11, 12, tzinfo=plus14), decimal.Decimal("12.3457"), "abc", 7,
                uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff"), True, datetime.time(10, 11, 12, 500000),
                decimal.Decimal("-10000000000.0"))
        for i, (got, wanted) in enumerate(zip(row, want)):
            expect(got == wanted and type(got) is type(wanted), f"column {i}: got {got!r}, want {wanted!r}")
        expect(cur.description[0][0] == "d" and cur.description[1][0] == "", f"names: {cur.description}")


def test_integer_expressions_are_int():
    with start_tdsd() as server, connect(server) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 42 AS v, %s * 2 AS w, 3000000000 AS big", (21,))
        expect(cur.fetchone() == (42, 42, 3000000000), "values")
        expect([d[1] for d in cur.description] == [56, 56, 127], f"INT, INT, BIGINT: {cur.description}")


def test_values_larger_than_a_packet():
    text = "".join(f"Grüße 東京 {i:06d}; " for i in range(6000))  # > 100 KB as UTF-16
    blob = bytes(range(256)) * 400  # 100 KB
    with start_tdsd() as server, connect(server) as conn:
        cur = conn.cursor()
        cur.execute("INSERT INTO Notes (Body, Data) OUTPUT INSERTED.Id VALUES (%s, %s)",
                    (text, pytds.Binary(blob)))
        note_id = cur.fetchone()[0]
        conn.commit()
        cur.execute("SELECT Body, Data FROM Notes WHERE Id = %s", (note_id,))
        body, data = cur.fetchone()
        expect(body == text, f"text came back with {len(body)} of {len(text)} characters")
        expect(data == blob, f"binary came back with {len(data)} of {len(blob)} bytes")


def test_error_then_good_query():
    with start_tdsd() as server, connect(server, autocommit=True) as conn:
        cur = conn.cursor()
        try:
            cur.execute("SELECT * FROM NoSuchTable")
            raise AssertionError("a missing table was found")
        except pytds.tds_base.Error as e:
            expect("NoSuchTable" in str(e), f"error: {e!r}")
        try:
            cur.execute("MERGE INTO Ledger USING AllTypes ON 1 = 0 WHEN MATCHED THEN DELETE;")
            raise AssertionError("MERGE ran")
        except pytds.tds_base.Error as e:
            expect("unsupported T-SQL construct: MERGE" in str(e), f"error: {e!r}")
        cur.execute("SELECT 42")
        expect(cur.fetchone() == (42,), "no answer after the errors")


def test_timeout_cancels_and_connection_survives():
    with start_tdsd() as server, connect(server, autocommit=True, timeout=2) as conn:
        cur = conn.cursor()
        started = time.monotonic()
        try:
            cur.execute("WAITFOR DELAY '00:00:20'")
            raise AssertionError("WAITFOR DELAY '00:00:20' finished inside a 2 s time-out")
        except pytds.tds_base.TimeoutError:
            pass
        cur.execute("SELECT 5")
        expect(cur.fetchone() == (5,), "no answer after the cancel")
        # Far below 20 s: only a cancel that stopped the delay gets here this soon.
        expect(time.monotonic() - started < 15, "the cancelled WAITFOR was not interrupted")


def count_ledger(conn):
    cur = conn.cursor()
    cur.execute("SELECT COUNT(*) FROM Ledger")
    return cur.fetchone()[0]


def test_transactions_commit_and_rollback_seen_from_another_connection():
    with start_tdsd() as server, connect(server) as writer, \
            connect(server, autocommit=True) as reader:
        cur = writer.cursor()
        cur.execute("INSERT INTO Ledger (Owner, Amount) VALUES (%s, %s)", ("Müller", 10))
        expect(count_ledger(reader) == 0, "an uncommitted row is visible to another connection")
        writer.rollback()
        expect(count_ledger(reader) == 0, "a rolled-back row is visible")
        expect(count_ledger(writer) == 0, "a rolled-back row is visible to its writer")
        cur.execute("INSERT INTO Ledger (Owner, Amount) VALUES (%s, %s)", ("東京", 20))
        cur.execute("INSERT INTO Ledger (Owner, Amount) VALUES (%s, %s)", ("ACME", 30))
        writer.commit()
        expect(count_ledger(reader) == 2, "committed rows are not visible")
        cur.execute("UPDATE Ledger SET Amount = Amount + 1")
        writer.rollback()
        cur = reader.cursor()
        cur.execute("SELECT SUM(Amount) FROM Ledger")
        expect(cur.fetchone()[0] == 50, "a rolled-back UPDATE stuck")


def test_tls_results_larger_than_a_record_and_several_sets():
    text = "".join(f"Grüße 東京 {i:06d}; " for i in range(3000))  # > 50 KB: many TLS records
    with start_tls_tdsd(CERT, mode="required") as server, connect_tls(server, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("INSERT INTO Notes (Body) OUTPUT INSERTED.Id VALUES (%s)", (text,))
        note_id = cur.fetchone()[0]
        cur.execute("SET NOCOUNT ON; SELECT Body FROM Notes WHERE Id = %s; SELECT N'zwei' AS b", (note_id,))
        expect(cur.fetchone()[0] == text, "the 50 KB value did not come back whole over TLS")
        expect(cur.nextset() and cur.fetchall() == [("zwei",)], "second result set")
        expect(server.wait_for_line(TLS_LOG, 5), "tdsd did not log an encrypted session")


def test_tls_timeout_cancels_and_connection_survives():
    with start_tls_tdsd(CERT, mode="optional") as server, \
            connect_tls(server, autocommit=True, timeout=2) as conn:
        cur = conn.cursor()
        try:
            cur.execute("WAITFOR DELAY '00:00:20'")
            raise AssertionError("WAITFOR DELAY '00:00:20' finished inside a 2 s time-out")
        except pytds.tds_base.TimeoutError:
            pass
        cur.execute("SELECT 5")
        expect(cur.fetchone() == (5,), "no answer after the cancel over TLS")


def test_tls_login_only_then_plain():
    with start_tls_tdsd(CERT, mode="optional") as server, \
            connect_tls(server, autocommit=True, enc_login_only=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT N'klar' AS t")
        expect(cur.fetchone() == ("klar",), "no answer after the encrypted login")
        expect(server.wait_for_line(r"\(LOGIN7 only\)", 5), "LOGIN7 was not encrypted alone")


def test_tls_verification_failures():
    cases = [(BAD.unknown_ca, CA.cert, "unknown CA"), (CERT, BAD.unknown_ca_root, "CA not given"),
             (BAD.wrong_name, CA.cert, "wrong name"), (BAD.expired, CA.cert, "expired")]
    for cert, cafile, what in cases:
        with start_tls_tdsd(cert, mode="required") as server:
            try:
                connect_tls(server, cafile=cafile).close()
                raise AssertionError(f"pytds accepted a bad certificate ({what})")
            except AssertionError:
                raise
            except Exception as e:  # pyOpenSSL's verify error, or pytds's own for the name
                expect("Login failed" not in str(e), f"{what}: got as far as the login: {e!r}")
            expect(not server.wait_for_line(r"login ok", 0.5), f"{what}: logged in anyway")


def test_tls_client_without_encryption_is_refused_by_mode_required():
    with start_tls_tdsd(CERT, mode="required") as server:
        try:
            connect(server).close()
            raise AssertionError("a client without a CA file (ENCRYPT_NOT_SUP) got in")
        except pytds.tds_base.Error as e:
            expect("required by server" in str(e), f"unexpected error: {e!r}")


if __name__ == "__main__":
    run_tests(globals())
