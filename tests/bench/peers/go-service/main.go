// The service a Go team would write for the architecture document's API (seed/000_*.txt):
// net/http, database/sql and the go-mssqldb driver, one *sql.DB pool per company code
// (created on first use, SetMaxOpenConns like the gateway's pools.max_size), the tenant
// from ?company=, the TenantRegistry row cached for REGISTRY_TTL_MS, an HS256 bearer token
// checked on every request (issuer, expiry, tenant claim), and conf/demo.yaml's SQL text
// and JSON shapes for the two routes the benchmark measures:
//
//	GET /api/customers/{id}   one customer (404 when there is none)
//	GET /api/customers        the list (at most 500 rows, optional ?search=)
//
// No request log (the gateway writes an access line per request; see BENCHMARKS.md).
// scripts/bench builds it offline from Debian's packages (GOPATH=/usr/share/gocode).
//
// Environment: PORT, REGISTRY_SERVER, REGISTRY_PORT, TDSD_REGISTRY_PASSWORD,
// TDSD_PASSWORD (tenant logins whose CredentialRef is NULL; "env:NAME" reads NAME),
// TG_AUTH_SECRET, POOL_MAX (default 8), REGISTRY_TTL_MS (default 30000).
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/denisenkom/go-mssqldb"
)

const (
	issuer      = "tenant-gateway"
	maxListRows = 500 // conf/demo.yaml max_rows of /api/customers
)

const customerSQL = `SELECT CustomerId AS id, Name AS name, Email AS email, Phone AS phone, City AS city, ` +
	`Country AS country, IsActive AS active, CreatedAt AS createdAt FROM Customers WHERE CustomerId = @id`
const customersSQL = `SELECT CustomerId AS id, Name AS name, Email AS email, Phone AS phone, City AS city, ` +
	`Country AS country, IsActive AS active, CreatedAt AS createdAt FROM Customers ` +
	`WHERE (@search IS NULL OR Name LIKE @search) ORDER BY CustomerId`

var codeRE = regexp.MustCompile(`^[A-Z0-9_-]{1,64}$`)

type tenantRow struct {
	server, database, user, credentialRef string
	port, maxConnections                  int
	active                                bool
}

type cachedRow struct {
	row     *tenantRow // nil: no such company
	expires time.Time
}

type service struct {
	registry *sql.DB
	secret   []byte
	poolMax  int
	ttl      time.Duration

	mu      sync.Mutex
	tenants map[string]cachedRow
	pools   map[string]*sql.DB
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func connString(host string, port int, database, user, password string) string {
	q := url.Values{}
	q.Set("database", database)
	q.Set("encrypt", "disable")
	q.Set("connection timeout", "5") // gateway pools.login_timeout
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(user, password),
		Host: net.JoinHostPort(host, strconv.Itoa(port)), RawQuery: q.Encode()}
	return u.String()
}

// ---- tenants ------------------------------------------------------------------------

func (s *service) lookup(ctx context.Context, code string) (*tenantRow, error) {
	s.mu.Lock()
	c, ok := s.tenants[code]
	s.mu.Unlock()
	if ok && time.Now().Before(c.expires) {
		return c.row, nil
	}
	var (
		r             tenantRow
		port, maxConn sql.NullInt64
		user, cred    sql.NullString
		encrypt       sql.NullBool
	)
	err := s.registry.QueryRowContext(ctx, `SELECT DatabaseServer, DatabaseName, Port, DatabaseUser, CredentialRef, `+
		`Encrypt, MaxConnections, IsActive FROM Tenants WHERE CompanyCode = @code`, sql.Named("code", code)).
		Scan(&r.server, &r.database, &port, &user, &cred, &encrypt, &maxConn, &r.active)
	var row *tenantRow
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		r.port, r.maxConnections = int(port.Int64), int(maxConn.Int64)
		r.user, r.credentialRef = user.String, cred.String
		row = &r
	}
	s.mu.Lock()
	s.tenants[code] = cachedRow{row, time.Now().Add(s.ttl)}
	s.mu.Unlock()
	return row, nil
}

func secretFor(ref string) (string, error) {
	if ref == "" {
		return os.Getenv("TDSD_PASSWORD"), nil
	}
	if strings.HasPrefix(ref, "env:") {
		return os.Getenv(ref[4:]), nil
	}
	return "", errors.New("unsupported credential reference")
}

// pool returns the company's *sql.DB, made on first use (sql.Open does not connect).
func (s *service) pool(code string, t *tenantRow) (*sql.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if db, ok := s.pools[code]; ok {
		return db, nil
	}
	password, err := secretFor(t.credentialRef)
	if err != nil {
		return nil, err
	}
	user, port, size := t.user, t.port, t.maxConnections
	if user == "" {
		user = "fieldservice_api"
	}
	if port == 0 {
		port = 1433
	}
	if size == 0 {
		size = s.poolMax
	}
	db, err := sql.Open("sqlserver", connString(t.server, port, t.database, user, password))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.pools[code] = db
	return db, nil
}

// ---- errors in the gateway's shape --------------------------------------------------

func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, message)
}

// ---- the bearer token (HS256, the gateway's claims) -------------------------------------

type claims struct {
	Iss    string `json:"iss"`
	Tenant string `json:"tenant"`
	Sub    string `json:"sub"`
	Exp    int64  `json:"exp"`
}

func (s *service) verify(header, tenant string) bool {
	if !strings.HasPrefix(header, "Bearer ") {
		return false
	}
	parts := strings.Split(header[len("Bearer "):], ".")
	if len(parts) != 3 {
		return false
	}
	var head struct {
		Alg string `json:"alg"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &head) != nil || head.Alg != "HS256" {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return false
	}
	var c claims
	raw, err = base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return false
	}
	return c.Iss == issuer && c.Exp > time.Now().Unix() && c.Tenant == tenant
}

// tenantDB resolves ?company= and the token to the company's pool; it answers the
// request itself (and returns nil) when it cannot.
func (s *service) tenantDB(w http.ResponseWriter, r *http.Request) *sql.DB {
	raw := r.URL.Query().Get("company")
	if raw == "" {
		fail(w, http.StatusBadRequest, "tenant_required", "company code is required")
		return nil
	}
	code := strings.ToUpper(raw)
	if !codeRE.MatchString(code) {
		fail(w, http.StatusBadRequest, "invalid_company_code", "invalid company code")
		return nil
	}
	t, err := s.lookup(r.Context(), code)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "tenant_unavailable", "tenant database unavailable")
		return nil
	}
	if t == nil || !t.active {
		fail(w, http.StatusNotFound, "tenant_not_found", "unknown company")
		return nil
	}
	if !s.verify(r.Header.Get("Authorization"), code) {
		fail(w, http.StatusUnauthorized, "unauthorized", "invalid token")
		return nil
	}
	db, err := s.pool(code, t)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "tenant_unavailable", "tenant database unavailable")
		return nil
	}
	return db
}

// ---- rows as JSON, in the columns' order and the gateway's value forms -------------------

func appendValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case time.Time:
		buf = append(buf, '"')
		buf = x.AppendFormat(buf, "2006-01-02T15:04:05")
		if ns := x.Nanosecond(); ns != 0 {
			buf = append(buf, fmt.Sprintf(".%07d", ns/100)...)
		}
		return append(buf, '"')
	case []byte: // go-mssqldb returns DECIMAL and MONEY as text
		return append(buf, x...)
	default:
		b, _ := json.Marshal(x)
		return append(buf, b...)
	}
}

func appendRow(buf []byte, names []string, values []any) []byte {
	buf = append(buf, '{')
	for i, name := range names {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, name)
		buf = append(buf, ':')
		buf = appendValue(buf, values[i])
	}
	return append(buf, '}')
}

// queryJSON runs the query and writes one object (one=true; 404 without a row) or an array.
func queryJSON(w http.ResponseWriter, r *http.Request, db *sql.DB, one bool, limit int, query string, args ...any) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second) // gateway pools.query_timeout
	defer cancel()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		dbError(w, err)
		return
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		dbError(w, err)
		return
	}
	values := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range values {
		ptrs[i] = &values[i]
	}
	buf := make([]byte, 0, 512)
	if !one {
		buf = append(buf, '[')
	}
	n := 0
	for rows.Next() && n < limit {
		if err := rows.Scan(ptrs...); err != nil {
			dbError(w, err)
			return
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = appendRow(buf, names, values)
		n++
	}
	if err := rows.Err(); err != nil {
		dbError(w, err)
		return
	}
	if one && n == 0 {
		fail(w, http.StatusNotFound, "not_found", "no such row")
		return
	}
	if !one {
		buf = append(buf, ']')
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf)
}

func dbError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		fail(w, http.StatusGatewayTimeout, "database_timeout", "query timed out")
		return
	}
	fail(w, http.StatusServiceUnavailable, "database_unavailable", "tenant database unavailable")
}

// ---- routes ---------------------------------------------------------------------------

func (s *service) customers(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/api/customers")
	if rest != "" && !strings.HasPrefix(rest, "/") {
		fail(w, http.StatusNotFound, "route_not_found", "no such route")
		return
	}
	var id int64
	if rest != "" && rest != "/" {
		var err error
		id, err = strconv.ParseInt(rest[1:], 10, 32)
		if err != nil || id < 1 {
			fail(w, http.StatusBadRequest, "validation_failed", "id must be a positive integer")
			return
		}
	}
	var search any // NULL unless given
	if q := r.URL.Query(); q.Has("search") {
		if v := q.Get("search"); len(v) > 100 {
			fail(w, http.StatusBadRequest, "validation_failed", "search is too long")
			return
		} else {
			search = v
		}
	}
	db := s.tenantDB(w, r)
	if db == nil {
		return
	}
	if id != 0 {
		queryJSON(w, r, db, true, 1, customerSQL, sql.Named("id", id))
	} else {
		queryJSON(w, r, db, false, maxListRows, customersSQL, sql.Named("search", search))
	}
}

func main() {
	poolMax, _ := strconv.Atoi(env("POOL_MAX", "8"))
	ttlMs, _ := strconv.Atoi(env("REGISTRY_TTL_MS", "30000"))
	regPort, _ := strconv.Atoi(env("REGISTRY_PORT", "1433"))
	registry, err := sql.Open("sqlserver", connString(env("REGISTRY_SERVER", "127.0.0.1"), regPort, "TenantRegistry",
		"registry_reader", os.Getenv("TDSD_REGISTRY_PASSWORD")))
	if err != nil {
		log.Fatal(err)
	}
	registry.SetMaxOpenConns(4)
	s := &service{registry: registry, secret: []byte(os.Getenv("TG_AUTH_SECRET")), poolMax: poolMax,
		ttl: time.Duration(ttlMs) * time.Millisecond, tenants: map[string]cachedRow{}, pools: map[string]*sql.DB{}}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/customers", s.customers)
	mux.HandleFunc("/api/customers/", s.customers)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "route_not_found", "no such route")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+env("PORT", "0"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("go-service listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
