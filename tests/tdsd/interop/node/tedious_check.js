// tedious (Node's pure-JavaScript TDS client) against a running tdsd on interop.yaml.
// Started by ../test_tedious.py with TDSD_HOST, TDSD_PORT, TDSD_USER, TDSD_DATABASE and
// TDSD_PASSWORD set; prints PASS/FAIL lines and exits non-zero when a check fails.
// With TDSD_CA (a CA file), tedious keeps its TLS defaults (encrypt: true,
// trustServerCertificate: false) and trusts that CA (the certificate must name
// TDSD_HOST). With TDSD_ENCRYPT=default, encrypt is left at its default (true) and no CA
// is given. `node tedious_check.js connect` only logs in and
// prints CONNECTED or CONNECT FAILED (exit 0 / 1), for the TLS refusal tests.
'use strict';

const fs = require('fs');
const { Connection, Request, TYPES } = require('tedious');

const env = process.env;

// encrypt: false unless a TLS test asked for tedious's defaults.
function tls_options() {
  if (env.TDSD_CA) return { cryptoCredentialsDetails: { ca: [fs.readFileSync(env.TDSD_CA)] } };
  if (env.TDSD_ENCRYPT === 'default') return {};
  return { encrypt: false };
}

function config(overrides = {}) {
  return {
    server: env.TDSD_HOST,
    authentication: {
      type: 'default',
      options: { userName: env.TDSD_USER, password: overrides.password ?? env.TDSD_PASSWORD },
    },
    options: {
      port: Number(env.TDSD_PORT),
      database: env.TDSD_DATABASE,
      ...tls_options(),
      connectTimeout: 10000,
      requestTimeout: 30000,
    },
  };
}

function connect(overrides) {
  return new Promise((resolve, reject) => {
    const conn = new Connection(config(overrides));
    conn.on('error', () => {});  // reported through the connect callback
    conn.connect((err) => (err ? reject(err) : resolve(conn)));
  });
}

// Runs a request; resolves {sets, error} where sets is an array of row arrays.
function run(conn, sql, params = [], { batch = false, onStart, timeout } = {}) {
  return new Promise((resolve) => {
    const sets = [];
    const request = new Request(sql, (error) => resolve({ sets, error }));
    if (timeout !== undefined) request.setTimeout(timeout);
    for (const [name, type, value, options] of params) request.addParameter(name, type, value, options);
    request.on('columnMetadata', () => sets.push([]));
    request.on('row', (columns) => sets[sets.length - 1].push(columns.map((c) => c.value)));
    if (batch) conn.execSqlBatch(request);
    else conn.execSql(request);
    if (onStart) onStart(request);
  });
}

function transaction(conn, action) {
  return new Promise((resolve, reject) => {
    const done = (err) => (err ? reject(err) : resolve());
    if (action === 'begin') conn.beginTransaction(done);
    else if (action === 'commit') conn.commitTransaction(done);
    else conn.rollbackTransaction(done);
  });
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// A BIGINT comes as a string in tedious (as from SQL Server): a bare BIGINT parameter
// selected back is one.
function num(value) {
  return typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
}

async function scalar(conn, sql) {
  const { sets, error } = await run(conn, sql, [], { batch: true });
  expect(!error, `${sql}: ${error && error.message}`);
  return sets[0][0][0];
}

const checks = {
  async login_good_and_bad() {
    const conn = await connect();
    expect((await scalar(conn, 'SELECT @@SPID')) > 0, 'no SPID');
    conn.close();
    try {
      (await connect({ password: 'wrong' })).close();
      throw new Error('a wrong password logged in');
    } catch (err) {
      expect(/Login failed/.test(err.message), `unexpected login error: ${err.message}`);
    }
  },

  async batch_with_several_result_sets(conn) {
    const { sets, error } = await run(conn, "SET NOCOUNT ON; SELECT 1 AS a; SELECT N'zwei' AS b, 3 AS c",
      [], { batch: true });
    expect(!error, error && error.message);
    // Integer literals are INT, as in SQL Server: tedious gives numbers, not strings.
    expect(same(sets, [[[1]], [['zwei', 3]]]), `sets: ${JSON.stringify(sets)}`);
  },

  async sp_executesql_with_every_parameter_type(conn) {
    const when = new Date(Date.UTC(2024, 4, 1, 10, 20, 30, 123));
    const params = [
      ['i', TYPES.Int, -7], ['b', TYPES.BigInt, 1099511627781], ['t', TYPES.TinyInt, 200],
      ['sm', TYPES.SmallInt, -300], ['f', TYPES.Float, 3.25], ['r', TYPES.Real, 1.5],
      ['bit', TYPES.Bit, true], ['s', TYPES.NVarChar, 'Grüße 東京 ✓'], ['v', TYPES.VarChar, 'plain ascii'],
      ['bin', TYPES.VarBinary, Buffer.from([0, 1, 0xfe, 0xff])], ['d', TYPES.DateTime2, when],
      ['day', TYPES.Date, when], ['g', TYPES.UniqueIdentifier, '12345678-1234-5678-1234-567812345678'],
      ['dec', TYPES.Decimal, 12.34, { precision: 10, scale: 2 }], ['n', TYPES.NVarChar, null],
    ];
    const names = params.map(([name]) => `@${name} AS ${name}`).join(', ');
    const { sets, error } = await run(conn, `SELECT ${names}`, params);
    expect(!error, error && error.message);
    const row = sets[0][0];
    const numbers = row.slice(0, 7).map(num).map((v) => (v === true ? 1 : v));
    expect(same(numbers, [-7, 1099511627781, 200, -300, 3.25, 1.5, 1]), `numbers: ${JSON.stringify(row)}`);
    expect(row[7] === 'Grüße 東京 ✓', `nvarchar: ${row[7]}`);
    expect(row[8] === 'plain ascii', `varchar: ${row[8]}`);
    expect(Buffer.isBuffer(row[9]) && row[9].equals(Buffer.from([0, 1, 0xfe, 0xff])), `binary: ${row[9]}`);
    // A bare parameter has no declared type in SQLite: dates come back as ISO text.
    expect(String(row[10]).startsWith('2024-05-01 10:20:30.123'), `datetime2: ${row[10]}`);
    expect(String(row[11]).startsWith('2024-05-01'), `date: ${row[11]}`);
    expect(String(row[12]).toLowerCase() === '12345678-1234-5678-1234-567812345678', `guid: ${row[12]}`);
    expect(Math.abs(Number(row[13]) - 12.34) < 1e-9, `decimal: ${row[13]}`);
    expect(row[14] === null, `null: ${row[14]}`);
  },

  async every_result_type_and_nulls(conn) {
    const { sets, error } = await run(conn,
      'SELECT I32, I64, F, B, S, Doc, Bin, Blob, D FROM AllTypes ORDER BY Id', [], { batch: true });
    expect(!error, error && error.message);
    const [values, nulls] = sets[0];
    expect(same(values.slice(0, 6), [-42, '9007199254740993', 2.5, true, 'Müller 東京', 'doc']),
      `values: ${JSON.stringify(values)}`);
    expect(values[6].equals(Buffer.from([0, 0xff, 0x10])) && values[7].equals(Buffer.from([0xca, 0xfe])),
      `binary: ${JSON.stringify(values.slice(6, 8))}`);
    expect(values[8] instanceof Date && values[8].toISOString() === '2024-05-01T10:20:30.123Z',
      `datetime2: ${values[8]}`);
    expect(same(nulls, Array(9).fill(null)), `nulls: ${JSON.stringify(nulls)}`);
  },

  async typed_table_round_trip(conn) {
    // Edge values of every declared type through tedious's typed parameters, read back
    // with the JavaScript values tedious makes of SQL Server's TYPE_INFO.
    const cols = ['Tiny', 'Small', 'Int32', 'Big', 'Price', 'Wide', 'Cash', 'SmallCash', 'Ratio', 'Day',
      'Clock', 'Precise', 'Appointment', 'Ref', 'Code', 'Latin', 'Fixed', 'Label', 'Raw', 'Blob', 'Flag'];
    const params = [
      ['Tiny', TYPES.TinyInt, 255], ['Small', TYPES.SmallInt, -32768], ['Int32', TYPES.Int, -2147483648],
      ['Big', TYPES.BigInt, '9223372036854775807'],
      ['Price', TYPES.Decimal, -9999999999.99, { precision: 12, scale: 2 }],
      ['Wide', TYPES.Decimal, 12345.6789, { precision: 38, scale: 10 }],
      ['Cash', TYPES.Money, -922337203685.4775], ['SmallCash', TYPES.SmallMoney, 214748.3647],
      ['Ratio', TYPES.Real, 1.5], ['Day', TYPES.Date, new Date(Date.UTC(9999, 11, 31))],
      ['Clock', TYPES.Time, new Date(Date.UTC(1970, 0, 1, 23, 59, 59, 999)), { scale: 3 }],
      ['Precise', TYPES.DateTime2, new Date(Date.UTC(2024, 4, 1, 10, 20, 30, 123))],
      ['Appointment', TYPES.DateTimeOffset, new Date(Date.UTC(2024, 4, 1, 10, 20, 30, 123))],
      ['Ref', TYPES.UniqueIdentifier, '6F9619FF-8B86-D011-B42D-00C04FC964FF'],
      ['Code', TYPES.Char, 'AB'], ['Latin', TYPES.VarChar, '€ Š œ ÿ Müller'], ['Fixed', TYPES.NChar, 'x'],
      ['Label', TYPES.NVarChar, 'Grüße 東京'], ['Raw', TYPES.Binary, Buffer.from([1, 2, 3, 4])],
      ['Blob', TYPES.VarBinary, Buffer.from([0xca, 0xfe])], ['Flag', TYPES.Bit, true],
    ];
    const insert = `INSERT INTO Typed (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`;
    let { sets, error } = await run(conn, 'DELETE FROM Typed');
    expect(!error, error && error.message);
    ({ error } = await run(conn, insert, params));
    expect(!error, `insert: ${error && error.message}`);
    ({ sets, error } = await run(conn, `SELECT ${cols.join(', ')} FROM Typed`, [], { batch: true }));
    expect(!error, error && error.message);
    const row = sets[0][0];
    const got = Object.fromEntries(cols.map((c, i) => [c, row[i]]));
    const iso = (d) => (d instanceof Date ? d.toISOString() : String(d));
    const checks = [
      [got.Tiny, 255], [got.Small, -32768], [got.Int32, -2147483648], [got.Big, '9223372036854775807'],
      [got.Price, -9999999999.99], [got.Wide, 12345.6789], [got.Cash, -922337203685.4775],
      [got.SmallCash, 214748.3647], [got.Ratio, 1.5], [iso(got.Day), '9999-12-31T00:00:00.000Z'],
      [iso(got.Clock), '1970-01-01T23:59:59.999Z'], [iso(got.Precise), '2024-05-01T10:20:30.123Z'],
      [iso(got.Appointment), '2024-05-01T10:20:30.123Z'], [got.Ref, '6F9619FF-8B86-D011-B42D-00C04FC964FF'],
      [got.Code, 'AB  '], [got.Latin, '€ Š œ ÿ Müller'], [got.Fixed, 'x  '], [got.Label, 'Grüße 東京'],
      [got.Flag, true],
    ];
    for (const [value, want] of checks) expect(value === want, `got ${JSON.stringify(got)}; want ${want}`);
    expect(got.Raw.equals(Buffer.from([1, 2, 3, 4])) && got.Blob.equals(Buffer.from([0xca, 0xfe])),
      `binary: ${JSON.stringify([got.Raw, got.Blob])}`);
  },

  async values_larger_than_a_packet(conn) {
    let text = '';
    for (let i = 0; text.length < 60000; i++) text += `Grüße 東京 ${i}; `;
    const blob = Buffer.alloc(100 * 1024, 0).map((_, i) => i % 251);
    const inserted = await run(conn, 'INSERT INTO Notes (Body, Data) OUTPUT INSERTED.Id VALUES (@body, @data)',
      [['body', TYPES.NVarChar, text], ['data', TYPES.VarBinary, blob]]);
    expect(!inserted.error, inserted.error && inserted.error.message);
    const id = inserted.sets[0][0][0];
    const back = await run(conn, 'SELECT Body, Data FROM Notes WHERE Id = @id', [['id', TYPES.Int, id]]);
    expect(!back.error, back.error && back.error.message);
    const [body, data] = back.sets[0][0];
    expect(body === text, `text came back with ${body.length} of ${text.length} characters`);
    expect(data.equals(blob), `binary came back with ${data.length} of ${blob.length} bytes`);
  },

  async error_then_good_query(conn) {
    const missing = await run(conn, 'SELECT * FROM NoSuchTable', [], { batch: true });
    expect(missing.error && missing.error.number === 208, `want error 208: ${missing.error && missing.error.message}`);
    const refused = await run(conn, 'SELECT * FROM AllTypes CROSS APPLY (SELECT 1 AS x) AS y', []);
    expect(refused.error && /unsupported T-SQL construct: CROSS APPLY/.test(refused.error.message),
      `want a CROSS APPLY refusal: ${refused.error && refused.error.message}`);
    expect((await scalar(conn, 'SELECT 42')) === 42, 'no answer after the errors');
  },

  async cancel_then_good_query(conn) {
    const started = Date.now();
    const slow = await run(conn, "WAITFOR DELAY '00:00:20'", [], {
      batch: true, onStart: (request) => setTimeout(() => conn.cancel(), 300),
    });
    expect(slow.error && slow.error.code === 'ECANCEL', `want ECANCEL: ${slow.error && slow.error.message}`);
    expect((await scalar(conn, 'SELECT 5')) === 5, 'no answer after the cancel');
    expect(Date.now() - started < 15000, 'the cancelled WAITFOR was not interrupted');
  },

  async request_timeout_then_good_query(conn) {
    const started = Date.now();
    const slow = await run(conn, "WAITFOR DELAY '00:00:20'", [], { batch: true, timeout: 1000 });
    expect(slow.error && slow.error.code === 'ETIMEOUT', `want ETIMEOUT: ${slow.error && slow.error.message}`);
    expect((await scalar(conn, 'SELECT 6')) === 6, 'no answer after the time-out');
    expect(Date.now() - started < 15000, 'the timed-out WAITFOR was not interrupted');
  },

  async transactions_seen_from_another_connection(conn) {
    const reader = await connect();
    const count = () => scalar(reader, 'SELECT COUNT(*) FROM Ledger');
    await transaction(conn, 'begin');
    const insert = (owner) => run(conn, 'INSERT INTO Ledger (Owner, Amount) VALUES (@o, 1)',
      [['o', TYPES.NVarChar, owner]]);
    expect(!(await insert('Müller')).error, 'insert failed');
    expect((await count()) === 0, 'an uncommitted row is visible to another connection');
    await transaction(conn, 'rollback');
    expect((await count()) === 0, 'a rolled-back row is visible');
    await transaction(conn, 'begin');
    expect(!(await insert('東京')).error, 'insert failed');
    await transaction(conn, 'commit');
    expect((await count()) === 1, 'a committed row is not visible');
    reader.close();
  },
};

async function main() {
  let failures = 0;
  const conn = await connect();
  for (const [name, check] of Object.entries(checks)) {
    try {
      await check(conn);
      console.log(`PASS ${name}`);
    } catch (err) {
      failures += 1;
      console.log(`FAIL ${name}: ${err.message}`);
    }
  }
  conn.close();
  const total = Object.keys(checks).length;
  console.log(`${total - failures} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

async function connect_only() {
  try {
    const conn = await connect();
    console.log('CONNECTED');
    conn.close();
    process.exit(0);
  } catch (err) {
    console.log(`CONNECT FAILED: ${err.code || ''} ${err.message}`);
    process.exit(1);
  }
}

if (process.argv[2] === 'connect') {
  connect_only();
} else {
  main().catch((err) => {
    console.log(`FAIL setup: ${err.stack || err}`);
    process.exit(1);
  });
}
