"""Every SQL Server type through the gateway, exactly: edge values are inserted through
typed route parameters (decimal, bigint, datetimeoffset, ...), read back through a route,
and compared as JSON text, so no digit of a 38-digit DECIMAL or a MONEY minimum can hide
behind a double. tdsd sends each column with its declared type (DECIMALN, MONEYN,
DATETIMEOFFSETN, GUID, VARCHAR in code page 1252, ...), as SQL Server would.
The README's type table is what these tests assert."""

import decimal
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, http_json, http_request  # noqa: E402

sys.path.insert(0, harness.source_path("tests", "tdsd"))
import tdsd_harness  # noqa: E402

SCHEMA = """
CREATE TABLE Typed (
    Id INT NOT NULL PRIMARY KEY,
    Tiny TINYINT NULL, Small SMALLINT NULL, Int32 INT NULL, Big BIGINT NULL,
    Price DECIMAL(12,2) NULL, Wide DECIMAL(38,10) NULL, Num NUMERIC(38,0) NULL,
    Cash MONEY NULL, SmallCash SMALLMONEY NULL, Ratio REAL NULL, Measure FLOAT NULL,
    Day DATE NULL, Clock TIME(7) NULL, Stamp DATETIME NULL, SmallStamp SMALLDATETIME NULL,
    Precise DATETIME2(7) NULL, Appointment DATETIMEOFFSET(7) NULL, Ref UNIQUEIDENTIFIER NULL,
    Code CHAR(4) NULL, Latin VARCHAR(40) NULL, Label NVARCHAR(40) NULL,
    Raw BINARY(4) NULL, Blob VARBINARY(16) NULL, Flag BIT NULL
)
GO
"""

COLUMNS = ["Tiny", "Small", "Int32", "Big", "Price", "Wide", "Num", "Cash", "SmallCash", "Ratio",
           "Measure", "Day", "Clock", "Stamp", "SmallStamp", "Precise", "Appointment", "Ref", "Code",
           "Latin", "Label", "Raw", "Blob", "Flag"]
TYPES = ["int", "int", "int", "bigint", "decimal", "decimal", "decimal", "decimal", "decimal", "number",
         "number", "date", "time", "datetime", "datetime", "datetime", "datetimeoffset", "uuid", "string",
         "string", "string", "binary", "binary", "bool"]

PARAMS = "\n".join(f"      - {{name: {c}, from: body, type: {t}}}" for c, t in zip(COLUMNS, TYPES))
INSERT = (f"INSERT INTO Typed (Id, {', '.join(COLUMNS)}) "
          f"VALUES (@Id, {', '.join('@' + c for c in COLUMNS)})")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM Typed WHERE Id = @id"

DB_PASSWORD = "types-pw"
tdsd = tdsd_harness.Tdsd(f"""
listen: {{address: 127.0.0.1, port: 0}}
control: {{address: 127.0.0.1, port: 0}}
logins:
  - {{user: app, password: "${{TDSD_TEST_PASSWORD}}", databases: ["*"]}}
databases:
  - {{name: TypesDB, file: ":memory:", init: [{harness.write_temp(SCHEMA, suffix=".sql")}]}}
""", env={"TDSD_TEST_PASSWORD": DB_PASSWORD})

CONFIG = f"""
listen: {{address: 127.0.0.1, port: 0}}
registry:
  source: yaml
  default_user: app
  default_credential_ref: env:TG_TEST_DB_PASSWORD
routes:
  - methods: [POST]
    path: /api/typed
    kind: sql
    result: exec
    sql: "{INSERT}"
    params:
      - {{name: Id, from: body, type: int, required: true}}
{PARAMS}
  - {{methods: [DELETE], path: /api/typed, kind: sql, result: exec, sql: "DELETE FROM Typed"}}
  - {{methods: [GET], path: "/api/typed/{{id}}", kind: sql, result: one, sql: "{SELECT}",
      params: [{{name: id, from: path, type: int}}]}}
  - {{methods: [GET], path: "/api/typed-strings/{{id}}", kind: sql, result: one, sql: "{SELECT}",
      decimal_as: string, bigint_as: string, params: [{{name: id, from: path, type: int}}]}}
  - methods: [GET]
    path: /api/typed-find
    kind: sql
    sql: "SELECT Id FROM Typed WHERE Price = @price AND Day = @day AND Clock = @clock AND Ref = @ref AND Appointment = @at ORDER BY Id"
    params:
      - {{name: price, type: decimal}}
      - {{name: day, type: date}}
      - {{name: clock, type: time}}
      - {{name: ref, type: uuid}}
      - {{name: at, type: datetimeoffset}}
pools: {{encrypt: false}}
tenants:
  - {{code: TYPES, server: 127.0.0.1, port: {tdsd.port}, database: TypesDB}}
"""

# Highest values, lowest values, and every column NULL. Sent as JSON text so the
# decimals' digits reach the gateway as written.
MAX_ROW = {
    "Tiny": 255, "Small": 32767, "Int32": 2147483647, "Big": 9223372036854775807,
    "Price": "9999999999.99", "Wide": "9999999999999999999999999999.9999999999",
    "Num": "99999999999999999999999999999999999999", "Cash": "922337203685477.5807",
    "SmallCash": "214748.3647", "Ratio": 1.5, "Measure": 1.7976931348623157e308,
    "Day": "9999-12-31", "Clock": "23:59:59.9999999", "Stamp": "9999-12-31T23:59:59.5",
    "SmallStamp": "2079-06-06T23:59:00", "Precise": "9999-12-31T23:59:59.9999999",
    "Appointment": "9999-12-31T23:59:59.9999999+14:00",
    "Ref": "6f9619ff-8b86-d011-b42d-00c04fc964ff", "Code": "AB", "Latin": "€ Š œ ÿ Müller",
    "Label": "Grüße 東京 ✓", "Raw": "AQIDBA==", "Blob": "yv4=", "Flag": True,
}
MIN_ROW = {
    "Tiny": 0, "Small": -32768, "Int32": -2147483648, "Big": -9223372036854775808,
    "Price": "-9999999999.99", "Wide": "-9999999999999999999999999999.9999999999",
    "Num": "-99999999999999999999999999999999999999", "Cash": "-922337203685477.5808",
    "SmallCash": "-214748.3648", "Ratio": -0.25, "Measure": -2.5e-308,
    "Day": "0001-01-01", "Clock": "00:00:00", "Stamp": "1753-01-01T00:00:00",
    "SmallStamp": "1900-01-01T00:00:00", "Precise": "0001-01-01T00:00:00",
    "Appointment": "0001-01-01T00:00:00-12:00",
    "Ref": "{00000000-0000-0000-0000-000000000000}", "Code": "Zz", "Latin": "ÿ",
    "Label": "x", "Raw": "AAAAAA==", "Blob": "AA==", "Flag": False,
}

# What the route returns for them: the README's type table.
MAX_JSON = (
    '{"Tiny":255,"Small":32767,"Int32":2147483647,"Big":9223372036854775807,'
    '"Price":9999999999.99,"Wide":9999999999999999999999999999.9999999999,'
    '"Num":99999999999999999999999999999999999999,"Cash":922337203685477.5807,'
    '"SmallCash":214748.3647,"Ratio":1.5,"Measure":1.7976931348623157E308,'
    '"Day":"9999-12-31","Clock":"23:59:59.9999999","Stamp":"9999-12-31T23:59:59.5000000",'
    '"SmallStamp":"2079-06-06T23:59:00","Precise":"9999-12-31T23:59:59.9999999",'
    '"Appointment":"9999-12-31T23:59:59.9999999+14:00",'
    '"Ref":"6F9619FF-8B86-D011-B42D-00C04FC964FF","Code":"AB  ",'
    '"Latin":"€ Š œ ÿ Müller","Label":"Grüße 東京 ✓","Raw":"AQIDBA==","Blob":"yv4=","Flag":true}')
MIN_JSON = (
    '{"Tiny":0,"Small":-32768,"Int32":-2147483648,"Big":-9223372036854775808,'
    '"Price":-9999999999.99,"Wide":-9999999999999999999999999999.9999999999,'
    '"Num":-99999999999999999999999999999999999999,"Cash":-922337203685477.5808,'
    '"SmallCash":-214748.3648,"Ratio":-2.5E-1,"Measure":-2.5E-308,'
    '"Day":"0001-01-01","Clock":"00:00:00","Stamp":"1753-01-01T00:00:00",'
    '"SmallStamp":"1900-01-01T00:00:00","Precise":"0001-01-01T00:00:00",'
    '"Appointment":"0001-01-01T00:00:00-12:00",'
    '"Ref":"00000000-0000-0000-0000-000000000000","Code":"Zz  ",'
    '"Latin":"ÿ","Label":"x","Raw":"AAAAAA==","Blob":"AA==","Flag":false}')


def gateway():
    """A gateway on CONFIG, with the table emptied (each test writes its own rows)."""
    gw = harness.start_gateway(CONFIG, env={"TG_TEST_DB_PASSWORD": DB_PASSWORD})
    status, _, _ = http_request(gw.port, "DELETE", "/api/typed?company=TYPES")
    expect(status == 200, f"DELETE: {status}")
    return gw


def insert(port, row_id, row):
    status, _, body = http_json(port, "POST", "/api/typed?company=TYPES", {"Id": row_id, **row})
    expect(status == 200 and body == {"rowsAffected": 1}, f"insert {row_id}: {status} {body}")


def read_text(port, path):
    status, _, data = http_request(port, "GET", path)
    expect(status == 200, f"{path}: {status} {data[:300]!r}")
    return data.decode()


def same_json(got, want, what):
    # Exact: numbers compared by their digits (Decimal), not as doubles.
    parse = lambda text: json.loads(text, parse_float=decimal.Decimal)  # noqa: E731
    expect(parse(got) == parse(want), f"{what}:\n got  {got}\n want {want}")


def test_every_type_round_trips_exactly():
    with gateway() as gw:
        insert(gw.port, 1, MAX_ROW)
        insert(gw.port, 2, MIN_ROW)
        insert(gw.port, 3, {})
        same_json(read_text(gw.port, "/api/typed/1?company=TYPES"), MAX_JSON, "highest values")
        same_json(read_text(gw.port, "/api/typed/2?company=TYPES"), MIN_JSON, "lowest values")
        nulls = json.loads(read_text(gw.port, "/api/typed/3?company=TYPES"))
        expect(nulls == {c: None for c in COLUMNS}, f"NULLs: {nulls}")
        # The digits are written as they came: nothing went through a double.
        text = read_text(gw.port, "/api/typed/1?company=TYPES")
        for digits in ('"Wide":9999999999999999999999999999.9999999999', '"Big":9223372036854775807',
                       '"Cash":922337203685477.5807'):
            expect(digits in text, f"{digits} not in {text}")


def test_decimal_as_and_bigint_as_string():
    with gateway() as gw:
        insert(gw.port, 1, MAX_ROW)
        insert(gw.port, 2, {"Big": 42, "Price": "0.50", "Int32": 7})
        row = json.loads(read_text(gw.port, "/api/typed-strings/1?company=TYPES"))
        expect(row["Wide"] == "9999999999999999999999999999.9999999999", f"decimal: {row['Wide']!r}")
        expect(row["Cash"] == "922337203685477.5807" and row["Price"] == "9999999999.99", f"{row}")
        expect(row["Big"] == "9223372036854775807", f"bigint beyond 2^53: {row['Big']!r}")
        expect(row["Int32"] == 2147483647 and row["Ratio"] == 1.5, f"other numbers stay numbers: {row}")
        small = json.loads(read_text(gw.port, "/api/typed-strings/2?company=TYPES"))
        expect(small["Big"] == 42 and small["Price"] == "0.50", f"within 2^53 a number: {small}")


def test_typed_parameters_find_rows():
    with gateway() as gw:
        insert(gw.port, 1, MAX_ROW)
        insert(gw.port, 2, MIN_ROW)
        query = ("price=-9999999999.99&day=0001-01-01&clock=00:00:00"
                 "&ref=00000000-0000-0000-0000-000000000000&at=0001-01-01T00:00:00-12:00")
        status, _, body = http_json(gw.port, "GET", f"/api/typed-find?company=TYPES&{query}")
        expect(status == 200 and body == [{"Id": 2}], f"{status} {body}")
        # A UUID in lower case, a price with more zeros: the same values.
        query = ("price=09999999999.99&day=9999-12-31&clock=23:59:59.9999999"
                 "&ref=6f9619ff-8b86-d011-b42d-00c04fc964ff&at=9999-12-31T23:59:59.9999999%2B14:00")
        status, _, body = http_json(gw.port, "GET", f"/api/typed-find?company=TYPES&{query}")
        expect(status == 200 and body == [{"Id": 1}], f"{status} {body}")


def test_empty_text_and_binary_parameters_arrive_as_null():
    # A documented limit of FreeTDS db-lib (README): dbrpcparam has no way to send a
    # zero-length non-NULL value, so '' and empty binary reach the database as NULL.
    with gateway() as gw:
        insert(gw.port, 5, {"Latin": "", "Label": "", "Blob": ""})
        row = json.loads(read_text(gw.port, "/api/typed/5?company=TYPES"))
        expect(row["Latin"] is None and row["Label"] is None and row["Blob"] is None, f"{row}")


def test_invalid_typed_parameters_are_400():
    bad = {"price": "12.5.1", "day": "2024-02-30", "clock": "24:00:00", "ref": "not-a-uuid",
           "at": "2024-05-01T10:00:00+15:00"}
    with gateway() as gw:
        query = "&".join(f"{k}={v}" for k, v in bad.items()).replace("+", "%2B")
        status, _, body = http_json(gw.port, "GET", f"/api/typed-find?company=TYPES&{query}")
        harness.expect_error(status, body, 400, "validation_failed")
        fields = {d["field"]: d["problem"] for d in body["error"]["details"]}
        expect(set(fields) == set(bad), f"every bad field named: {fields}")
        expect("decimal" in fields["price"] and "UUID" in fields["ref"], f"{fields}")
        status, _, body = http_json(gw.port, "POST", "/api/typed?company=TYPES",
                                    {"Id": 9, "Wide": "1" * 39, "Appointment": "2024-05-01T10:00:00"})
        harness.expect_error(status, body, 400, "validation_failed")
        fields = {d["field"] for d in body["error"]["details"]}
        expect(fields == {"Wide", "Appointment"}, f"39 digits and a missing offset refused: {body}")


try:
    harness.run_tests(dict(globals()))
finally:
    tdsd.stop()
