'use strict';
// The stack of the architecture document (seed/000_*.txt), written the way a Node team
// would: Express 4, the tenant middleware (req.query.company, 400 when missing) and the
// tenant connection manager (TenantRegistry lookup, cached; one mssql ConnectionPool per
// company code, created once and reused), serving the SQL routes of conf/demo.yaml with
// the same SQL text and the same JSON shapes, and the same login (bcrypt, jsonwebtoken).
// scripts/bench runs it beside tenant-gateway against the same tdsd servers.
//
// Environment:
//   PORT                    listen port (0 = any free port; the chosen one is printed)
//   REGISTRY_SERVER/PORT    the TenantRegistry server (tdsd)
//   TDSD_REGISTRY_PASSWORD  registry_reader's password
//   TDSD_PASSWORD           default password of tenant logins (CredentialRef NULL);
//                           a CredentialRef "env:NAME" reads NAME instead
//   TG_AUTH_SECRET          HS256 signing key (the gateway's auth.secret_ref)
//   POOL_MAX                pool size when the registry row sets none (gateway pools.max_size)
//   REGISTRY_TTL_MS         how long a registry row is cached (gateway registry.refresh_interval)

const crypto = require('crypto');
const fs = require('fs');
const express = require('express');
const sql = require('mssql');
const bcrypt = require('bcrypt');
const jwt = require('jsonwebtoken');

const env = process.env;
const ISSUER = 'tenant-gateway';
const TOKEN_TTL_S = 3600;
const POOL_MAX = Number(env.POOL_MAX || 8);
const REGISTRY_TTL_MS = Number(env.REGISTRY_TTL_MS || 30000);
// A KeyObject made once: given a string, jsonwebtoken 9 first tries (and fails) to parse it
// as a PEM public key on every call, an exception per request.
const SECRET = crypto.createSecretKey(Buffer.from(env.TG_AUTH_SECRET || '', 'utf8'));
const CODE_RE = /^[A-Z0-9_-]{1,64}$/;

const commonOptions = {
  options: { encrypt: false, trustServerCertificate: true, enableArithAbort: true },
  // mssql's default checks every acquired connection with a SELECT 1 round trip; the
  // socket check is the documented cheaper mode (the gateway validates only long-idle ones)
  validateConnection: 'socket',
  connectionTimeout: 5000, // gateway pools.login_timeout
  requestTimeout: 15000, // gateway pools.query_timeout
};

// Tenant connections as the document's Azure deployments need them: with DB_CA_FILE set,
// encrypted and verified (tedious's defaults, trusting that CA); plain otherwise.
const tenantTls = env.DB_CA_FILE
  ? { encrypt: true, trustServerCertificate: false, enableArithAbort: true,
      cryptoCredentialsDetails: { ca: fs.readFileSync(env.DB_CA_FILE) } }
  : commonOptions.options;

// ---- tenant-connection-manager.js ------------------------------------------------------

const registryPool = new sql.ConnectionPool({
  ...commonOptions,
  server: env.REGISTRY_SERVER || '127.0.0.1',
  port: Number(env.REGISTRY_PORT),
  database: 'TenantRegistry',
  user: 'registry_reader',
  password: env.TDSD_REGISTRY_PASSWORD,
  pool: { max: 4, min: 0 },
});
const registryReady = registryPool.connect();

const tenantCache = new Map(); // code -> {row, expires}
const pools = new Map(); // code -> Promise<ConnectionPool>

async function lookupTenant(code) {
  const cached = tenantCache.get(code);
  if (cached && cached.expires > Date.now()) return cached.row;
  await registryReady;
  const result = await registryPool.request()
    .input('code', sql.NVarChar(64), code)
    .query(`SELECT DatabaseServer, DatabaseName, Port, DatabaseUser, CredentialRef, Encrypt,
                   MaxConnections, IsActive
            FROM Tenants WHERE CompanyCode = @code`);
  const row = result.recordset[0] || null;
  tenantCache.set(code, { row, expires: Date.now() + REGISTRY_TTL_MS });
  return row;
}

function secretFor(ref) {
  if (!ref) return env.TDSD_PASSWORD;
  if (ref.startsWith('env:')) return env[ref.slice(4)];
  throw new Error('unsupported credential reference');
}

function getPool(code, tenant) {
  let pool = pools.get(code);
  if (!pool) {
    pool = new sql.ConnectionPool({
      ...commonOptions,
      options: tenantTls,
      server: tenant.DatabaseServer,
      port: tenant.Port || 1433,
      database: tenant.DatabaseName,
      user: tenant.DatabaseUser || 'fieldservice_api',
      password: secretFor(tenant.CredentialRef),
      pool: { max: tenant.MaxConnections || POOL_MAX, min: 0, idleTimeoutMillis: 300000 },
    }).connect();
    pools.set(code, pool);
    pool.catch(() => pools.delete(code)); // retry on the next request
  }
  return pool;
}

// ---- errors in the gateway's shape ------------------------------------------------------

let requestCounter = 0;
function fail(res, status, code, message) {
  res.status(status).json({ error: { code, message, requestId: String(++requestCounter) } });
}

// ---- tenant-middleware.js ---------------------------------------------------------------

async function tenantMiddleware(req, res, next) {
  const raw = req.query.company;
  if (typeof raw !== 'string' || raw === '') {
    return fail(res, 400, 'tenant_required', 'company code is required');
  }
  const code = raw.toUpperCase();
  if (!CODE_RE.test(code)) return fail(res, 400, 'invalid_company_code', 'invalid company code');
  try {
    const tenant = await lookupTenant(code);
    if (!tenant || !tenant.IsActive) return fail(res, 404, 'tenant_not_found', 'unknown company');
    req.companyCode = code;
    req.tenantPool = await getPool(code, tenant);
    next();
  } catch (err) {
    fail(res, 503, 'tenant_unavailable', 'tenant database unavailable');
  }
}

function authenticate(req, res, next) {
  const header = req.headers.authorization || '';
  if (!header.startsWith('Bearer ')) return fail(res, 401, 'unauthorized', 'token required');
  try {
    req.user = jwt.verify(header.slice(7), SECRET, { algorithms: ['HS256'], issuer: ISSUER });
  } catch (err) {
    return fail(res, 401, 'unauthorized', 'invalid token');
  }
  if (req.user.tenant !== req.companyCode) return fail(res, 403, 'forbidden', 'token of another tenant');
  next();
}

// ---- routes (the SQL of conf/demo.yaml) ------------------------------------------------

const SQL = {
  login: `SELECT UserId AS user_id, Username AS username, DisplayName AS displayName, Role AS role, PasswordHash AS password_hash FROM Users WHERE Username = @username AND IsActive = 1`,
  me: `SELECT UserId AS id, Username AS username, DisplayName AS displayName, Role AS role FROM Users WHERE UserId = @userId`,
  customers: `SELECT CustomerId AS id, Name AS name, Email AS email, Phone AS phone, City AS city, Country AS country, IsActive AS active, CreatedAt AS createdAt FROM Customers WHERE (@search IS NULL OR Name LIKE @search) ORDER BY CustomerId`,
  customer: `SELECT CustomerId AS id, Name AS name, Email AS email, Phone AS phone, City AS city, Country AS country, IsActive AS active, CreatedAt AS createdAt FROM Customers WHERE CustomerId = @id`,
  sites: `SELECT SiteId AS id, CustomerId AS customerId, Name AS name, Address AS address, Latitude AS latitude, Longitude AS longitude FROM Sites WHERE CustomerId = @id ORDER BY SiteId`,
  ticket: `SELECT TicketId AS id, SiteId AS siteId, Title AS title, Description AS description, Status AS status, Priority AS priority, AssignedTo AS assignedTo, CreatedAt AS createdAt, UpdatedAt AS updatedAt FROM Tickets WHERE TicketId = @id`,
};

function positiveId(value) {
  return /^[0-9]{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= 2147483647 ? Number(value) : null;
}

function dbError(res, err) {
  if (err && err.code === 'ETIMEOUT') return fail(res, 504, 'database_timeout', 'query timed out');
  return fail(res, 503, 'database_unavailable', 'tenant database unavailable');
}

function one(res, result) {
  const row = result.recordset[0];
  if (!row) return fail(res, 404, 'not_found', 'no such row');
  res.json(row);
}

const app = express();
app.disable('x-powered-by');
app.disable('etag'); // the gateway sends none either
app.use(express.json({ limit: '1mb' }));

app.post('/api/auth/login', tenantMiddleware, async (req, res) => {
  const { username, password } = req.body || {};
  if (typeof username !== 'string' || !username || typeof password !== 'string' || !password) {
    return fail(res, 400, 'validation_failed', 'username and password are required');
  }
  let result;
  try {
    result = await req.tenantPool.request()
      .input('username', sql.NVarChar(255), username)
      .query(SQL.login);
  } catch (err) {
    return dbError(res, err);
  }
  const user = result.recordset[0];
  const valid = user && user.password_hash.startsWith('$2')
    ? await bcrypt.compare(password, user.password_hash)
    : false;
  if (!valid) return fail(res, 401, 'invalid_credentials', 'unknown user or wrong password');
  const { password_hash: _omitted, ...fields } = user;
  const token = jwt.sign({ tenant: req.companyCode, sub: String(user.user_id) }, SECRET,
    { algorithm: 'HS256', issuer: ISSUER, expiresIn: TOKEN_TTL_S });
  const expiresAt = new Date(Date.now() + TOKEN_TTL_S * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  res.json({ token, expiresAt, tenant: req.companyCode, user: fields });
});

app.get('/api/me', tenantMiddleware, authenticate, async (req, res) => {
  try {
    one(res, await req.tenantPool.request().input('userId', sql.Int, Number(req.user.sub)).query(SQL.me));
  } catch (err) {
    dbError(res, err);
  }
});

app.get('/api/customers', tenantMiddleware, authenticate, async (req, res) => {
  const search = typeof req.query.search === 'string' ? req.query.search : null;
  if (search !== null && search.length > 100) return fail(res, 400, 'validation_failed', 'search is too long');
  try {
    const result = await req.tenantPool.request().input('search', sql.NVarChar(100), search).query(SQL.customers);
    res.json(result.recordset.slice(0, 500)); // max_rows: 500
  } catch (err) {
    dbError(res, err);
  }
});

app.get('/api/customers/:id', tenantMiddleware, authenticate, async (req, res) => {
  const id = positiveId(req.params.id);
  if (id === null) return fail(res, 400, 'validation_failed', 'id must be a positive integer');
  try {
    one(res, await req.tenantPool.request().input('id', sql.Int, id).query(SQL.customer));
  } catch (err) {
    dbError(res, err);
  }
});

app.get('/api/customers/:id/sites', tenantMiddleware, authenticate, async (req, res) => {
  const id = positiveId(req.params.id);
  if (id === null) return fail(res, 400, 'validation_failed', 'id must be a positive integer');
  try {
    const result = await req.tenantPool.request().input('id', sql.Int, id).query(SQL.sites);
    res.json(result.recordset);
  } catch (err) {
    dbError(res, err);
  }
});

app.get('/api/tickets/:id', tenantMiddleware, authenticate, async (req, res) => {
  const id = positiveId(req.params.id);
  if (id === null) return fail(res, 400, 'validation_failed', 'id must be a positive integer');
  try {
    one(res, await req.tenantPool.request().input('id', sql.Int, id).query(SQL.ticket));
  } catch (err) {
    dbError(res, err);
  }
});

app.use((req, res) => fail(res, 404, 'route_not_found', 'no such route'));

const server = app.listen(Number(env.PORT || 0), '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`node-seed listening on ${address}:${port}`);
});
server.keepAliveTimeout = 60000;

function shutdown() {
  server.close();
  Promise.allSettled([...pools.values(), registryReady].map((p) => p.then((pool) => pool.close())))
    .finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
