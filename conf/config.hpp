#pragma once
// The gateway's configuration: one struct per YAML section, defaults written here.
// Loaded once by conf::load_file (conf/loader.hpp) and immutable afterwards; a reload
// builds a new std::shared_ptr<const conf::config> and swaps it in.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/redis_url.hpp"
#include "conf/value_pattern.hpp"

namespace conf {

using duration = std::chrono::milliseconds;
using namespace std::chrono_literals;

/// `listen.tls.hsts:` the Strict-Transport-Security field of HTTPS responses.
struct hsts_config {
    bool enabled = false;
    duration max_age = 365 * 24h;     ///< a whole number of seconds
    bool include_subdomains = false;  ///< the policy covers every subdomain too
};

/// `listen.tls:` an HTTPS listener beside the plain HTTP one. The certificate and key
/// are re-read on SIGHUP for new handshakes; connections keep the ones they began with.
struct listen_tls_config {
    bool enabled = false;        ///< true once the section is present
    std::uint16_t port = 8443;   ///< 0 picks a free port (printed at start-up)
    std::string cert_file;       ///< PEM: the server certificate, then its intermediates
    std::string key_file;        ///< PEM private key, unencrypted, readable by the gateway
    duration handshake_timeout = 10s;  ///< a client that stalls its handshake is cut off
    hsts_config hsts;
};

/// `listen:` where the HTTP server accepts connections.
struct listen_config {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8080;  ///< 0 picks a free port (printed at start-up)
    unsigned io_threads = 2;
    /// CIDRs ("10.0.0.0/8", "127.0.0.1/32", "::1/128") of proxies in front of the gateway:
    /// only from these peers are X-Forwarded-For, Forwarded and X-Forwarded-Proto believed.
    std::vector<std::string> trusted_proxies;
    listen_tls_config tls;  ///< HTTPS on its own port, served with the same routes
};

/// `limits.retry_after:` the Retry-After of the 503s the gateway decides itself, in whole
/// seconds. A tenant database's open circuit and a spent login budget say their own.
struct retry_after_config {
    duration too_many_connections = 1s;       ///< a connection over max_client_connections
    duration response_budget_exhausted = 1s;  ///< max_inflight_response_bytes in use
    duration pool_busy = 1s;                  ///< pool_timeout, pool_overloaded, a pool closing
    duration not_ready = 1s;                  ///< /readyz before the registry is loaded
    duration registry_unavailable = 5s;       ///< POST /admin/registry/reload failed
};

/// How DECIMAL/NUMERIC/MONEY values (`decimal_as`) and integers beyond ±(2^53-1)
/// (`bigint_as`) appear in SQL results: a JSON number with the exact digits, or a JSON
/// string of them for clients whose numbers are doubles (JavaScript).
enum class number_form { number, string };

/// `limits:` bounds on everything a client controls.
struct limits_config {
    std::size_t max_header_bytes = 16 * 1024;       ///< request line + headers; beyond: 431
    std::size_t max_body_bytes = 1024 * 1024;       ///< beyond: 413
    duration header_timeout = 10s;                  ///< time to receive a full header
    duration read_timeout = 30s;                    ///< time to receive the body
    duration write_timeout = 30s;                   ///< time to send a response
    duration idle_timeout = 60s;                    ///< keep-alive connection with no request
    std::size_t max_client_connections = 10000;     ///< beyond: accepted and closed at once
    /// Requests answered back to back from bytes a client sent ahead (pipelined) before
    /// the connection closes after the last of them (Connection: close when the gateway
    /// wrote that response itself); the client sends the rest again on a new connection.
    std::size_t max_pipelined_requests = 16;
    duration drain_timeout = 30s;                   ///< SIGTERM: how long in-flight may finish
    // SQL results: a route may override the first two.
    std::size_t max_response_bytes = 16 * 1024 * 1024;  ///< a SQL route's body; beyond: 502 result_too_large
    std::size_t max_cell_bytes = 4 * 1024 * 1024;       ///< one value of a row; beyond: 502 result_too_large
    number_form decimal_as = number_form::number;       ///< a route may override it
    number_form bigint_as = number_form::number;        ///< a route may override it
    /// Bodies of SQL responses being built or sent, all requests together; beyond: 503.
    std::size_t max_inflight_response_bytes = 256 * 1024 * 1024;
    retry_after_config retry_after;
};

/// Where a company code may come from.
enum class tenant_source { query, subdomain, header, token };

/// `tenant_resolution:` how a request is mapped to a tenant.
struct tenant_resolution_config {
    std::vector<tenant_source> order = {tenant_source::query, tenant_source::subdomain,
                                        tenant_source::header};
    std::string query_param = "company";
    std::vector<std::string> base_domains;  ///< "yourapp.com": acme.yourapp.com -> ACME
    std::vector<std::string> ignored_subdomains = {"www"};  ///< www.yourapp.com: no tenant
    std::string header = "X-Company-Code";
    std::string token_claim = "tenant";
};

/// How a connection to a SQL Server is secured. The defaults are those of Microsoft's
/// ODBC Driver 18: encrypt, and verify the certificate's chain, dates and name.
struct tls_settings {
    bool encrypt = true;
    bool trust_server_certificate = false;  ///< encrypt without checking the certificate
    std::string ca_file;                    ///< PEM bundle; empty: the system trust store
    std::string host_name_in_certificate;   ///< empty: the server name as dialled

    /// Plain TDS, for servers that offer no encryption (local stand-ins, tests).
    static tls_settings unencrypted() {
        tls_settings plain;
        plain.encrypt = false;
        return plain;
    }

    friend bool operator==(const tls_settings&, const tls_settings&) = default;
};

/// The keys of tls_settings one tenant (or the registry connection) sets itself; an
/// absent key takes the `pools:` default.
struct tls_overrides {
    std::optional<bool> encrypt;
    std::optional<bool> trust_server_certificate;
    std::optional<std::string> ca_file;
    std::optional<std::string> host_name_in_certificate;

    /// `defaults` with these keys replaced.
    tls_settings over(const tls_settings& defaults) const;
    friend bool operator==(const tls_overrides&, const tls_overrides&) = default;
};

/// One entry of the static `tenants:` list (the YAML registry source).
struct tenant_config {
    std::string code;        ///< normalised to upper case
    std::string name;
    std::string server;      ///< database host
    std::uint16_t port = 1433;
    std::string database;
    std::string user;            ///< empty: registry.default_user
    std::string credential_ref;  ///< "env:NAME" or "file:/path"; empty: registry default
    tls_overrides tls;
    bool active = true;
    std::optional<std::size_t> max_connections;  ///< overrides pools.max_size
    std::optional<std::uint32_t> rate_limit_per_second;     ///< overrides rate_limits.per_second
    std::optional<std::uint32_t> rate_limit_burst;          ///< overrides rate_limits.burst
    std::optional<std::uint32_t> max_concurrent_requests;   ///< overrides rate_limits.max_concurrent
};

/// What a route does with a request.
enum class route_kind { echo, sql, login, proxy };

/// Declared type of a SQL route parameter.
enum class param_type { int32, int64, number, boolean, string, datetime, binary, decimal, date, time,
                        datetimeoffset, uuid };

/// Where a SQL route parameter's value is read from.
enum class param_source { path, query, body, claim };

/// One named parameter of a SQL route.
struct param_config {
    std::string name;  ///< bound as @name in the SQL text
    param_type type = param_type::string;
    param_source source = param_source::query;
    std::string key;   ///< field name at the source; empty: same as name
    bool required = false;
    std::optional<std::string> default_value;
    std::optional<double> min;
    std::optional<double> max;
    std::optional<std::size_t> max_length;
    std::optional<value_pattern> pattern;  ///< RE2 pattern the whole value must match
};

/// How SQL results become the response body.
enum class result_mode { many, one, exec };

/// A route's own `rate_limit:` bucket per tenant, instead of the tenant's.
struct route_rate_limit {
    std::uint32_t per_second = 0;  ///< 0: unlimited on this route
    std::uint32_t burst = 0;       ///< 0: per_second
};

/// One entry of `routes:`.
struct route_config {
    std::vector<std::string> methods = {"GET"};  ///< upper case
    std::string path;         ///< "/api/customers/{id}" or prefix "/app/*"
    route_kind kind = route_kind::echo;
    bool tenant_required = true;
    bool auth_required = false;
    // kind == sql
    std::string sql;
    std::vector<param_config> params;
    result_mode result = result_mode::many;
    std::size_t max_rows = 1000;
    std::optional<duration> query_timeout;  ///< overrides pools.query_timeout
    std::optional<std::size_t> max_response_bytes;  ///< overrides limits.max_response_bytes
    std::optional<std::size_t> max_cell_bytes;      ///< overrides limits.max_cell_bytes
    std::optional<number_form> decimal_as;          ///< overrides limits.decimal_as
    std::optional<number_form> bigint_as;           ///< overrides limits.bigint_as
    std::optional<route_rate_limit> rate_limit;     ///< overrides the tenant's bucket
    // kind == proxy
    std::string upstream;
    std::string strip_prefix;
};

/// Active health checking of one upstream's servers.
struct upstream_health_config {
    std::string path = "/";
    duration interval = 5s;
    duration timeout = 2s;
    unsigned healthy_threshold = 2;
    unsigned unhealthy_threshold = 3;
};

enum class balance_policy { round_robin, least_in_flight };

/// One entry of `upstreams:` (the web app behind the gateway).
struct upstream_config {
    std::string name;
    std::vector<std::string> servers;  ///< "http://127.0.0.1:5173"
    balance_policy balance = balance_policy::round_robin;
    std::size_t max_connections_per_server = 64;
    std::size_t max_idle_per_server = 16;
    duration connect_timeout = 2s;
    duration read_timeout = 30s;
    duration total_timeout = 60s;
    bool preserve_host = true;
    unsigned passive_failures = 3;  ///< consecutive failures that mark a server down
    /// Without health_check: how long a server marked down waits for its trial request.
    duration passive_retry = 10s;
    /// A response's status line and headers; beyond: 502 (nginx: proxy_buffer_size).
    std::size_t max_response_header_bytes = 64 * 1024;
    std::optional<upstream_health_config> health_check;
};

/// Per-tenant circuit breaker over connect failures.
struct breaker_config {
    unsigned failure_threshold = 3;
    duration base_backoff = 1s;
    duration max_backoff = 60s;
};

/// `pools:` per-tenant FreeTDS pool settings and global caps.
struct pools_config {
    std::size_t min_size = 0;
    std::size_t max_size = 10;
    std::size_t max_waiters = 100;
    std::size_t max_opening = 2;           ///< connections being opened at once per pool
    duration acquire_timeout = 5s;
    duration login_timeout = 5s;
    duration query_timeout = 30s;
    duration idle_timeout = 5min;
    duration max_lifetime = 30min;
    duration validate_after = 30s;         ///< idle longer than this: SELECT 1 before use
    /// Each connection lives a random time in [(1 - jitter) × max_lifetime, max_lifetime],
    /// so connections opened together (after a failover) are not all replaced at once.
    double max_lifetime_jitter = 0.15;
    duration unused_pool_timeout = 10min;  ///< a tenant's pool with no use is closed
    std::size_t max_total_connections = 1000;
    std::size_t max_connections_per_host = 200;
    unsigned worker_threads = 16;          ///< blocking FreeTDS work runs here
    /// Connections being opened at once by this instance, all pools together; more
    /// opens wait their turn (within acquire_timeout), so a failover is no login storm.
    std::size_t max_opening_total = 16;
    breaker_config breaker;
    /// encrypt, trust_server_certificate, ca_file: every tenant's unless it says otherwise.
    tls_settings tls;
};

enum class registry_source { yaml, tds };

/// Host patterns that classify a tenant's hosting location (glob, `*` wildcard).
struct hosting_config {
    std::vector<std::string> own_server_patterns = {"*customer-portal*"};
    std::vector<std::string> azure_patterns = {"*.database.windows.net"};
    std::vector<std::string> aws_patterns = {"*.rds.amazonaws.com"};
};

/// `registry:` where tenants come from and how fresh they are kept.
struct registry_config {
    registry_source source = registry_source::yaml;
    // source == tds: the TenantRegistry database
    std::string server;
    std::uint16_t port = 1433;
    std::string database = "TenantRegistry";
    std::string user;
    std::string credential_ref;
    tls_overrides tls;  ///< the registry connection's own; absent keys: pools'
    duration refresh_interval = 30s;
    duration negative_cache_ttl = 30s;
    /// source == tds: how often the cheap change check (MAX(UpdatedAt), COUNT(*)) runs;
    /// a full load follows only when its answer changed. 0: off.
    duration change_poll_interval = 5s;
    std::size_t negative_cache_max = 10000;
    /// On-demand look-ups of codes missing from the snapshot, across all codes: a token
    /// bucket refilled at this rate (0: never ask, unknown codes are not found).
    std::size_t max_lookups_per_second = 10;
    std::size_t lookup_burst = 20;  ///< tokens the bucket holds at most
    // while no load from the source succeeded (or the last refresh failed): retry with
    // jittered exponential backoff from retry_base up to retry_max
    duration retry_base = 1s;
    duration retry_max = 30s;
    /// Last-known-good copy of the tenants (no secrets), written after each successful
    /// load, read when the first load fails; empty: off.
    std::string snapshot_file;
    // service account used for tenants that name none
    std::string default_user = "fieldservice_api";
    std::string default_credential_ref;
    hosting_config hosting;
};

enum class access_policy { open, loopback, token };
/// `cluster:` this instance's place among the instances that share every tenant's
/// connection budget (README, "Many instances: the connection budget").
struct cluster_config {
    std::size_t instances = 1;    ///< gateways serving the same tenants
    std::size_t instance_id = 0;  ///< this one's index, 0 <= instance_id < instances
};


/// `admin:` endpoints under /admin/.
struct admin_config {
    bool enabled = false;
    access_policy access = access_policy::token;
    std::string token;  ///< bearer token when access == token
};

/// `health:` the /health endpoint and its background probes.
struct health_config {
    access_policy access = access_policy::open;
    std::string token;
    duration probe_interval = 10s;
    duration probe_timeout = 2s;
    std::size_t probe_concurrency = 4;  ///< tenants probed at once in a round
};

/// `metrics:` the Prometheus endpoint.
struct metrics_config {
    bool enabled = true;
    access_policy access = access_policy::open;
    std::string token;
    std::size_t max_tenant_labels = 1000;  ///< beyond: tenant="_other"
};

/// `auth.login_limit.shared:` the Redis server that counts failed logins for every
/// instance (README, "Many instances: shared login limits"); absent: each counts its own.
struct login_limit_shared_config {
    redis_url redis;                           ///< from `redis: redis://[[user]:password@]host[:port][/db]`
    std::string key_prefix = "tenant-gateway:login:";  ///< before every limiter key
    duration timeout = 50ms;                   ///< connect and command; slower: local decision

    friend bool operator==(const login_limit_shared_config&, const login_limit_shared_config&) = default;
};

/// `auth.login_limit:` failed-login budgets (README, "Security").
struct login_limit_config {
    std::size_t max_failures = 5;                ///< per tenant and account within `window`
    std::size_t per_address_max_failures = 50;   ///< per client address within `window`
    duration window = 5min;                      ///< counted from a key's first attempt
    std::size_t max_entries = 100000;            ///< keys remembered at most
    std::optional<login_limit_shared_config> shared;  ///< Redis, when several instances share budgets
};

/// `auth:` signed tokens issued by login routes and checked by `auth_required` routes.
struct auth_config {
    std::string secret_ref;  ///< "env:NAME" or "file:/path": HMAC key that signs (and verifies)
    /// Keys that only verify: during a routine rotation, the keys that signed before. A key
    /// named in neither list is refused from the reload that drops it on.
    std::vector<std::string> previous_secret_refs;
    std::string issuer = "tenant-gateway";
    duration token_ttl = 1h;
    /// How far in the future a token's nbf and iat may lie (other issuers' clock skew);
    /// exp gets no allowance.
    duration clock_leeway = 30s;
    /// The hash checked for unknown users of a tenant none of whose stored hashes was seen
    /// yet (afterwards: one of that tenant's own scheme and cost). Scheme "$2b$", "$y$" or
    /// "$6$"; cost as crypt_gensalt(3) counts it, 0 for libxcrypt's default.
    std::string dummy_hash_scheme = "$y$";
    unsigned long dummy_hash_cost = 0;
    login_limit_config login_limit;
};

/// `rate_limits:` request budgets per tenant (README, "Rate and concurrency limits");
/// 0 means unlimited everywhere.
/// `rate_limits.shared:` the Redis server through which instances split each bucket by
/// their demand (README, "Many instances: shared rate limits"); absent: each instance
/// enforces every limit alone.
struct rate_limits_shared_config {
    redis_url redis;                                  ///< redis://[[user]:password@]host[:port][/db]
    std::string key_prefix = "tenant-gateway:rate:";  ///< before every bucket key
    duration timeout = 50ms;                          ///< connect and command
    duration sync_interval = 100ms;                   ///< how often demand is exchanged

    friend bool operator==(const rate_limits_shared_config&, const rate_limits_shared_config&) = default;
};

struct rate_limits_config {
    std::uint32_t per_second = 0;           ///< tenant's token refill rate
    std::uint32_t burst = 0;                ///< bucket size; 0: per_second
    std::uint32_t max_concurrent = 0;       ///< requests in flight per tenant
    std::uint32_t per_user_per_second = 0;  ///< per tenant + user on auth routes
    std::uint32_t per_user_burst = 0;       ///< 0: per_user_per_second
    std::size_t max_buckets = 100000;       ///< buckets kept in memory; idle ones go first
    std::optional<rate_limits_shared_config> shared;  ///< Redis, when instances share the limits
};

/// Severity of a log line; lines below `log.level` are not written.
enum class log_level { debug, info, warn, error };

/// `log:` what the gateway writes to stdout (JSON lines).
struct log_config {
    log_level level = log_level::info;
    bool access = true;  ///< one access line per answered request
};

/// The whole configuration file.
struct config {
    std::string source_path;  ///< file it was loaded from
    listen_config listen;
    limits_config limits;
    tenant_resolution_config tenant_resolution;
    std::vector<tenant_config> tenants;
    std::vector<route_config> routes;
    std::vector<upstream_config> upstreams;
    pools_config pools;
    registry_config registry;
    admin_config admin;
    health_config health;
    metrics_config metrics;
    auth_config auth;
    log_config log;
    cluster_config cluster;
    rate_limits_config rate_limits;
};

}  // namespace conf
