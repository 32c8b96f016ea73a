#include "tds_pool/errors.hpp"

#include <string>

namespace tds_pool {
namespace {

class pool_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tds_pool"; }
    std::string message(int value) const override {
        return std::string(code_name(static_cast<errc>(value)));
    }
};

}  // namespace

const std::error_category& pool_category() noexcept {
    static const pool_error_category category;
    return category;
}

std::string_view code_name(errc e) noexcept {
    switch (e) {
    case errc::tenant_db_unavailable: return "tenant_db_unavailable";
    case errc::pool_timeout: return "pool_timeout";
    case errc::pool_overloaded: return "pool_overloaded";
    case errc::query_timeout: return "query_timeout";
    case errc::login_failed: return "login_failed";
    case errc::sql_error: return "sql_error";
    case errc::connection_lost: return "connection_lost";
    case errc::pool_closed: return "pool_closed";
    case errc::tls_required_not_offered: return "tls_required_not_offered";
    case errc::tls_certificate_rejected: return "tls_certificate_rejected";
    case errc::tls_handshake_failed: return "tls_handshake_failed";
    }
    return "unknown";
}

}  // namespace tds_pool
