#include "tds_pool/freetds/rpc_binding.hpp"

#include <sybfront.h>
#include <sybdb.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace tds_pool {
namespace {

/// A parameter value laid out the way dbrpcparam wants it; kept alive until dbrpcsend.
struct bound_value {
    std::string name;
    int type = SYBNTEXT;
    std::vector<BYTE> bytes;
    bool is_null = false;
};

template <class T>
std::vector<BYTE> raw_bytes(const T& value) {
    std::vector<BYTE> bytes(sizeof(T));
    std::memcpy(bytes.data(), &value, sizeof(T));
    return bytes;
}

DBDATETIMEALL to_datetimeall(const sql_datetime& dt) {
    using namespace std::chrono;
    const sys_days date = year{dt.year} / month{static_cast<unsigned>(dt.month)} /
                          day{static_cast<unsigned>(dt.day)};
    const sys_days epoch = year{1900} / January / 1;
    DBDATETIMEALL value{};
    value.date = static_cast<DBINT>((date - epoch).count());
    const std::uint64_t seconds = static_cast<std::uint64_t>(dt.hour) * 3600U +
                                  static_cast<std::uint64_t>(dt.minute) * 60U +
                                  static_cast<std::uint64_t>(dt.second);
    value.time = seconds * 10'000'000U + static_cast<std::uint64_t>(dt.nanosecond) / 100U;
    value.time_prec = 7;
    value.has_time = 1;
    value.has_date = 1;
    return value;
}

int wire_type(param_type type) noexcept {
    switch (type) {
    case param_type::int32: return SYBINT4;
    case param_type::int64: return SYBINT8;
    case param_type::float64: return SYBFLT8;
    case param_type::boolean: return SYBBIT;
    case param_type::string: return SYBNTEXT;  // SYBNVARCHAR puts an invalid type on the wire
    case param_type::binary: return SYBIMAGE;
    case param_type::datetime: return SYBMSDATETIME2;
    case param_type::null: return SYBNTEXT;
    // Canonical text that sp_executesql converts to the declared type: db-lib 1.3's
    // typed RPC values for these (DBDECIMAL, DBDATETIMEALL with offset) are not needed.
    case param_type::decimal:
    case param_type::date:
    case param_type::time:
    case param_type::datetimeoffset:
    case param_type::uuid: return SYBNTEXT;
    }
    return SYBNTEXT;
}

// Converts the value to its declared type's wire layout; false when it does not fit.
bool encode(const sql_param& param, bound_value& out) {
    out.type = wire_type(param.type);
    if (std::holds_alternative<std::monostate>(param.value) || param.type == param_type::null) {
        out.is_null = true;
        return true;
    }
    switch (param.type) {
    case param_type::int32:
        if (const auto* v = std::get_if<std::int64_t>(&param.value);
            v && *v >= std::numeric_limits<DBINT>::min() && *v <= std::numeric_limits<DBINT>::max()) {
            out.bytes = raw_bytes(static_cast<DBINT>(*v));
            return true;
        }
        return false;
    case param_type::int64:
        if (const auto* v = std::get_if<std::int64_t>(&param.value)) {
            out.bytes = raw_bytes(static_cast<DBBIGINT>(*v));
            return true;
        }
        return false;
    case param_type::float64:
        if (const auto* v = std::get_if<double>(&param.value)) {
            out.bytes = raw_bytes(static_cast<DBFLT8>(*v));
            return true;
        }
        if (const auto* v = std::get_if<std::int64_t>(&param.value)) {
            out.bytes = raw_bytes(static_cast<DBFLT8>(*v));
            return true;
        }
        return false;
    case param_type::boolean:
        if (const auto* v = std::get_if<bool>(&param.value)) {
            out.bytes = raw_bytes(static_cast<DBBIT>(*v ? 1 : 0));
            return true;
        }
        return false;
    case param_type::string:
    case param_type::decimal:
    case param_type::date:
    case param_type::time:
    case param_type::datetimeoffset:
    case param_type::uuid:
        if (const auto* v = std::get_if<std::string>(&param.value)) {
            out.bytes.assign(v->begin(), v->end());
            return true;
        }
        return false;
    case param_type::binary:
        if (const auto* v = std::get_if<std::vector<std::uint8_t>>(&param.value)) {
            out.bytes.assign(v->begin(), v->end());
            return true;
        }
        return false;
    case param_type::datetime:
        if (const auto* v = std::get_if<sql_datetime>(&param.value)) {
            out.bytes = raw_bytes(to_datetimeall(*v));
            return true;
        }
        return false;
    case param_type::null: return true;
    }
    return false;
}

bool add_text(DBPROCESS* proc, const char* name, const std::string& text) {
    // The statement and declaration go out as NVARCHAR(MAX), which sp_executesql requires.
    BYTE empty = 0;
    BYTE* data = text.empty() ? &empty : reinterpret_cast<BYTE*>(const_cast<char*>(text.data()));
    return dbrpcparam(proc, name, 0, SYBNTEXT, -1, static_cast<DBINT>(text.size()), data) == SUCCEED;
}

bool add_value(DBPROCESS* proc, bound_value& value) {
    if (value.is_null) {
        return dbrpcparam(proc, value.name.c_str(), 0, value.type, -1, 0, nullptr) == SUCCEED;
    }
    BYTE empty = 0;
    BYTE* data = value.bytes.empty() ? &empty : value.bytes.data();
    return dbrpcparam(proc, value.name.c_str(), 0, value.type, -1,
                      static_cast<DBINT>(value.bytes.size()), data) == SUCCEED;
}

}  // namespace

std::string_view declared_type(param_type type) noexcept {
    switch (type) {
    case param_type::int32: return "int";
    case param_type::int64: return "bigint";
    case param_type::float64: return "float";
    case param_type::boolean: return "bit";
    case param_type::string: return "nvarchar(max)";
    case param_type::binary: return "varbinary(max)";
    case param_type::datetime: return "datetime2";
    case param_type::null: return "nvarchar(max)";
    case param_type::decimal: return "decimal(38,10)";
    case param_type::date: return "date";
    case param_type::time: return "time(7)";
    case param_type::datetimeoffset: return "datetimeoffset(7)";
    case param_type::uuid: return "uniqueidentifier";
    }
    return "nvarchar(max)";
}

std::string declared_type_of(const sql_param& param) {
    const auto* digits = std::get_if<std::string>(&param.value);
    if (param.type != param_type::decimal || digits == nullptr) {
        return std::string(declared_type(param.type));
    }
    // decimal(p,s) that holds this value exactly: a fixed (38,10) would round 0.123456789012.
    const auto point = digits->find('.');
    const auto count = [&](std::size_t from, std::size_t to) {
        return static_cast<int>(std::count_if(digits->begin() + static_cast<std::ptrdiff_t>(from),
                                               digits->begin() + static_cast<std::ptrdiff_t>(to),
                                               [](char c) { return c >= '0' && c <= '9'; }));
    };
    const int integer = count(0, point == std::string::npos ? digits->size() : point);
    const int scale = point == std::string::npos ? 0 : count(point, digits->size());
    const int precision = std::clamp(std::max(integer, 1) + scale, 1, 38);
    return fmt::format("decimal({},{})", precision, std::min(scale, precision));
}

bool valid_param_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 127 || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

outcome<std::string> parameter_declaration(const std::vector<sql_param>& params) {
    std::string declaration;
    for (const sql_param& param : params) {
        if (!valid_param_name(param.name)) {
            return db_error{errc::sql_error, fmt::format("invalid parameter name '{}'", param.name)};
        }
        bound_value probe;
        if (!encode(param, probe)) {
            return db_error{errc::sql_error,
                            fmt::format("parameter @{} does not fit type {}", param.name,
                                        declared_type(param.type))};
        }
        if (!declaration.empty()) {
            declaration += ", ";
        }
        declaration += fmt::format("@{} {}", param.name, declared_type_of(param));
    }
    return declaration;
}

namespace detail {

namespace {

// Adds statement, declaration and values to an RPC begun with dbrpcinit.
bool add_params(DBPROCESS* proc, const query& q, const std::string& declaration,
                std::vector<bound_value>& values) {
    if (!add_text(proc, "@stmt", q.sql)) {
        return false;
    }
    if (!declaration.empty() && !add_text(proc, "@params", declaration)) {
        return false;
    }
    for (bound_value& value : values) {
        if (!add_value(proc, value)) {
            return false;
        }
    }
    return true;
}

}  // namespace

rpc_send send_rpc(DBPROCESS* proc, const query& q, const std::string& declaration) {
    std::vector<bound_value> values(q.params.size());
    for (std::size_t i = 0; i < q.params.size(); ++i) {
        values[i].name = "@" + q.params[i].name;
        if (!encode(q.params[i], values[i])) {
            return rpc_send::not_built;
        }
    }
    if (dbrpcinit(proc, "sp_executesql", 0) != SUCCEED) {
        dbrpcinit(proc, "", DBRPCRESET);
        return rpc_send::not_built;
    }
    if (!add_params(proc, q, declaration, values)) {
        // db-lib keeps a half-built RPC on the DBPROCESS and would send it ahead of the
        // next one: drop it, nothing has gone out yet.
        dbrpcinit(proc, "", DBRPCRESET);
        return rpc_send::not_built;
    }
    // The values are copied into the request here, while `values` is still alive.
    if (dbrpcsend(proc) != SUCCEED) {
        dbrpcinit(proc, "", DBRPCRESET);
        return rpc_send::send_failed;
    }
    return rpc_send::sent;
}

}  // namespace detail
}  // namespace tds_pool
