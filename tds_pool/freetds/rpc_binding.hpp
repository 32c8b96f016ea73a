#pragma once
// sp_executesql parameter handling: the declaration string ("@id int, @name nvarchar(max)")
// and the db-lib calls that put statement, declaration and values on an RPC.

#include <string>
#include <vector>

#include "tds_pool/outcome.hpp"
#include "tds_pool/sql_value.hpp"

struct tds_dblib_dbprocess;

namespace tds_pool {

/// The T-SQL type a parameter is declared with ("int", "datetime2", ...).
std::string_view declared_type(param_type type) noexcept;

/// The declared type of one parameter: a decimal's precision and scale follow its digits.
std::string declared_type_of(const sql_param& param);

/// True for names sp_executesql accepts unquoted: letters, digits, '_' (no leading digit).
bool valid_param_name(std::string_view name) noexcept;

/// "@a int, @b nvarchar(max)"; a db_error (sql_error) names an invalid parameter or a
/// value that does not fit its declared type.
outcome<std::string> parameter_declaration(const std::vector<sql_param>& params);

namespace detail {
/// How send_rpc ended.
enum class rpc_send {
    sent,         ///< the whole request went out
    not_built,    ///< refused before dbrpcsend; the half-built RPC was discarded, nothing sent
    send_failed,  ///< dbrpcsend failed: part of it may be buffered or sent, the session is unknown
};
/// Builds an sp_executesql RPC on `proc` with statement, declaration (omitted when empty)
/// and values, and sends it (the diagnostics say why it failed).
rpc_send send_rpc(tds_dblib_dbprocess* proc, const query& q, const std::string& declaration);
}  // namespace detail

}  // namespace tds_pool
