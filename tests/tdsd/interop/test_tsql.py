"""FreeTDS tsql (freetds-bin) against tdsd, driven through its standard input."""

import subprocess

from tdsd_fixture import (DATABASE, PASSWORD, TLS_LOG, USER, expect, freetds_conf, make_certificates,
                          run_tests, start_tdsd, start_tls_tdsd)

CA, CERT, BAD = make_certificates()


def tsql(server, script, password=PASSWORD, database=DATABASE, timeout=60):
    """Runs `script` (batches ended by `go`) in tsql; returns (exit code, output)."""
    result = subprocess.run(
        ["tsql", "-H", server.host, "-p", str(server.port), "-U", USER, "-P", password,
         "-D", database, "-o", "q"],
        input=script + "\nexit\n", capture_output=True, text=True, timeout=timeout,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"})
    return result.returncode, result.stdout + result.stderr


def tsql_with_conf(conf, script, timeout=60):
    """Runs `script` in tsql against the freetds.conf section tdsd_tls of `conf`."""
    result = subprocess.run(
        ["tsql", "-S", "tdsd_tls", "-U", USER, "-P", PASSWORD, "-D", DATABASE, "-o", "q"],
        input=script + "\nexit\n", capture_output=True, text=True, timeout=timeout,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", "FREETDSCONF": conf})
    return result.returncode, result.stdout + result.stderr


def test_login_good_and_bad():
    with start_tdsd() as server:
        code, out = tsql(server, "SELECT 1 AS one\ngo")
        expect(code == 0, f"good login: exit {code}: {out}")
        expect("one" in out and "1" in out, out)
        code, out = tsql(server, "SELECT 1\ngo", password="wrong")
        expect(code != 0, f"a wrong password logged in: {out}")
        expect("18456" in out or "Login failed" in out, f"no login error shown: {out}")


def test_batch_with_several_statements_and_unicode():
    with start_tdsd() as server:
        code, out = tsql(server, "SET NOCOUNT ON\nSELECT N'Grüße 東京' AS greeting\n"
                                 "SELECT COUNT(*) AS n FROM AllTypes\ngo")
        expect(code == 0, out)
        expect("Grüße 東京" in out, f"non-ASCII text lost: {out}")
        expect("greeting" in out and "\n2\n" in out.replace("\t", "\n"), out)


def test_sp_executesql_with_literal_parameters():
    script = ("EXEC sp_executesql N'SELECT @i AS i, @b AS b, @f AS f, @bit AS bit, @s AS s, "
              "@bin AS bin, @d AS d, @n AS n', "
              "N'@i int, @b bigint, @f float, @bit bit, @s nvarchar(max), @bin varbinary(max), "
              "@d datetime2, @n nvarchar(10)', @i = -7, @b = 1099511627781, @f = 3.25, @bit = 1, "
              "@s = N'Grüße 東京', @bin = 0x00FF, @d = '2024-05-01 10:20:30', @n = NULL\ngo")
    with start_tdsd() as server:
        code, out = tsql(server, script)
        expect(code == 0, out)
        rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
        expect(len(rows) == 2, f"want header + 1 row: {out}")
        expect(rows[1][:5] == ["-7", "1099511627781", "3.25", "1", "Grüße 東京"], f"values: {rows[1]}")
        expect(rows[1][5].lower() == "00ff", f"binary: {rows[1]}")
        expect(rows[1][6].startswith("2024-05-01 10:20:30") and rows[1][7] == "NULL", f"date, NULL: {rows[1]}")


def test_every_result_type_and_nulls():
    with start_tdsd() as server:
        code, out = tsql(server, "SELECT I32, I64, F, B, S, Doc, Bin, Blob, D FROM AllTypes ORDER BY Id\ngo")
        expect(code == 0, out)
        rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
        expect(len(rows) == 3, f"want header + 2 rows: {out}")
        values, nulls = rows[1], rows[2]
        expect(values[:6] == ["-42", "9007199254740993", "2.5", "1", "Müller 東京", "doc"],
               f"values: {values}")
        expect(values[6].lower() == "00ff10" and values[7].lower() == "cafe", f"binary: {values}")
        expect(values[8] == "May  1 2024 10:20AM", f"datetime2 (tsql prints minutes): {values}")
        expect(nulls == ["NULL"] * 9, f"nulls: {nulls}")


def test_typed_table_columns():
    """A few of interop.sql's Typed columns as tsql prints them from their TYPE_INFO."""
    with start_tdsd() as server:
        code, out = tsql(server, "SELECT Tiny, Price, Num, Cash, Ref, Code, Latin, Flag FROM Typed\ngo")
        expect(code == 0, out)
        rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
        expect(len(rows) == 2, f"want header + 1 row: {out}")
        expect(rows[1] == ["255", "-9999999999.99", "-99999999999999999999999999999999999999",
                           "-922337203685477.5808", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "AB  ",
                           "€ Š œ ÿ Müller", "1"], f"values: {rows[1]}")


def test_batch_and_value_larger_than_a_packet():
    big = "".join(f"Grüße {i:06d} " for i in range(8000))  # ~100 KB, far over 4096-byte packets
    with start_tdsd() as server:
        code, out = tsql(server, f"INSERT INTO Notes (Body) VALUES (N'{big}')\ngo\n"
                                 "SELECT LEN(Body) AS n FROM Notes\ngo\n"
                                 "SELECT Body FROM Notes\ngo")
        expect(code == 0, out[:500])
        expect(f"\n{len(big.rstrip())}\n" in out, f"length not {len(big.rstrip())}: {out[:300]}")
        expect(big.rstrip() in out, "the 100 KB value did not come back whole")


def test_error_then_good_query():
    with start_tdsd() as server:
        code, out = tsql(server, "SELECT * FROM NoSuchTable\ngo\nEXEC sp_who\ngo\nSELECT 42 AS answer\ngo")
        expect("Msg 208" in out, f"no error 208: {out}")
        expect("unsupported T-SQL construct: EXEC" in out, f"no EXEC refusal: {out}")
        expect("answer" in out and "42" in out, f"no answer after the errors: {out}")


def test_tls_require_with_ca_file_and_host_check():
    big = "".join(f"Grüße {i:06d} " for i in range(4000))  # ~50 KB: many TLS records
    with start_tls_tdsd(CERT, mode="required") as server:
        conf = freetds_conf(server, "require", CA.cert)
        code, out = tsql_with_conf(conf, f"INSERT INTO Notes (Body) VALUES (N'{big}')\ngo\n"
                                         "SELECT COUNT(*) AS n FROM AllTypes\ngo\nSELECT Body FROM Notes\ngo")
        expect(code == 0, out[:500])
        expect("\n2\n" in out, f"no count: {out[:300]}")
        expect(big.rstrip() in out, "the 50 KB value did not come back whole over TLS")
        expect(server.wait_for_line(TLS_LOG, 5), "tdsd did not log an encrypted session")


def test_tls_default_request_is_encrypted_whole_by_a_forcing_server():
    # FreeTDS's default `request` offers ENCRYPT_OFF; Force Encryption answers REQ.
    with start_tls_tdsd(CERT, mode="required") as server:
        code, out = tsql_with_conf(freetds_conf(server, "request"), "SELECT N'över TLS' AS t\ngo")
        expect(code == 0 and "över TLS" in out, out)
        expect(server.wait_for_line(TLS_LOG, 5), "not encrypted as a whole")


def test_tls_request_under_optional_encrypts_the_login_only():
    with start_tls_tdsd(CERT, mode="optional") as server:
        code, out = tsql_with_conf(freetds_conf(server, "request"), "SELECT 7 AS seven\ngo")
        expect(code == 0 and "seven" in out, out)
        expect(server.wait_for_line(r"\(LOGIN7 only\)", 5), "LOGIN7 was not encrypted alone")


def test_tls_certificate_from_an_unknown_ca_is_rejected():
    with start_tls_tdsd(BAD.unknown_ca, mode="required") as server:
        code, out = tsql_with_conf(freetds_conf(server, "require", CA.cert), "SELECT 1\ngo")
        expect(code != 0, f"tsql accepted a certificate from an unknown CA: {out}")
        expect(not server.wait_for_line(r"login ok", 1), "logged in anyway")


def test_tls_client_that_will_not_encrypt_is_refused_by_mode_required():
    with start_tls_tdsd(CERT, mode="required") as server:
        code, out = tsql_with_conf(freetds_conf(server, "off"), "SELECT 1\ngo")
        expect(code != 0, f"an unencrypted client got in: {out}")
        expect(server.wait_for_line(r"ENCRYPT_NOT_SUP\) and tls mode is required", 5), "no refusal logged")


if __name__ == "__main__":
    run_tests(globals())
