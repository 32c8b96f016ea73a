#pragma once
// Stable error codes of the pool layer. The gateway maps each to an HTTP status and to
// the machine code of its JSON error (see code_name).

#include <string_view>
#include <system_error>

namespace tds_pool {

/// Why a pooled database operation failed.
enum class errc {
    tenant_db_unavailable = 1,  ///< cannot connect / breaker open: 503 + Retry-After
    pool_timeout,               ///< no connection within the acquire deadline: 503
    pool_overloaded,            ///< waiter cap reached, failed fast: 503
    query_timeout,              ///< the query ran past its timeout: 504
    login_failed,               ///< the server refused the credentials: 502
    sql_error,                  ///< the server reported an error for the statement: 502
    connection_lost,            ///< the connection broke mid-request: 502
    pool_closed,                ///< the pool is draining or closed: 503
    tls_required_not_offered,   ///< the tenant requires encryption, the server offers none: 503
    tls_certificate_rejected,   ///< the server's certificate failed verification: 503
    tls_handshake_failed,       ///< encryption was agreed but TLS could not be set up: 503
};

/// True for the three TLS refusals: the server is reachable but cannot be trusted.
constexpr bool is_tls_failure(errc e) noexcept {
    return e == errc::tls_required_not_offered || e == errc::tls_certificate_rejected ||
           e == errc::tls_handshake_failed;
}

/// The error category of tds_pool::errc.
const std::error_category& pool_category() noexcept;

/// Stable machine code for an errc ("tenant_db_unavailable", "pool_timeout", ...).
std::string_view code_name(errc e) noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), pool_category()};
}

}  // namespace tds_pool

template <>
struct std::is_error_code_enum<tds_pool::errc> : std::true_type {};
