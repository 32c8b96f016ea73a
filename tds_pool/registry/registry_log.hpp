#pragma once
// The registry's log lines, shared by its load, refresh and lookup halves.

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "tds_pool/pool_log.hpp"
#include "tds_pool/registry/registry_record.hpp"

namespace tds_pool {

/// One line about `code` ("-" for the registry as a whole).
inline void registry_log(std::string_view code, std::string_view message) {
    log_line(fmt::format("registry tenant={} {}", code, message));
}

/// Once per load of a row: the operator sees why a tenant is refused before a request does.
inline void log_row_problem(const tenant_record& record) {
    if (record.problem.empty()) return;
    registry_log(record.code.empty() ? "-" : record.code, "row not served: " + record.problem);
}

}  // namespace tds_pool
