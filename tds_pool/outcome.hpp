#pragma once
// Failures as values: every pool operation returns either its result or a db_error
// carrying the stable error code, a message without secrets, the server's error
// details when it sent any, and a retry-after hint when the breaker is open.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "tds_pool/errors.hpp"
#include "tds_pool/sql_value.hpp"

namespace tds_pool {

/// Why an operation failed, safe to log and to show to a client.
struct db_error {
    errc code = errc::sql_error;
    std::string message;                 ///< never contains credentials
    std::optional<sql_error_info> sql;   ///< set when the server reported the error
    std::chrono::milliseconds retry_after{0};  ///< set with tenant_db_unavailable
    /// A finer machine-readable cause, for metrics labels (TLS: "certificate_expired").
    std::string reason;

    db_error() = default;
    /// An error with its code and message, optionally the server's details.
    db_error(errc c, std::string text, std::optional<sql_error_info> server = std::nullopt)
        : code(c), message(std::move(text)), sql(std::move(server)) {}
};

/// A value or a db_error (a small stand-in for C++23 std::expected).
template <class T>
class outcome {
public:
    /// An empty failure (co_spawn needs default-constructible results).
    outcome() : state_(std::in_place_index<1>, db_error{errc::sql_error, "no result"}) {}
    /// Success.
    outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    /// Failure.
    outcome(db_error error) : state_(std::in_place_index<1>, std::move(error)) {}

    /// True on success.
    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    /// The value; only valid when has_value().
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    /// The error; only valid when !has_value().
    const db_error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, db_error> state_;
};

}  // namespace tds_pool
