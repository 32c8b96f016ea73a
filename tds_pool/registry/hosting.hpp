#pragma once
// Where a tenant's database is hosted, derived from its server name with the
// configured glob patterns: "Your Server" for our own servers, otherwise
// "Customer Hosted (Azure)", "Customer Hosted (AWS)" or "Customer Hosted (On-Prem)".

#include <string_view>

#include "conf/config.hpp"

namespace tds_pool {

/// Case-insensitive glob match where `*` matches any run of characters (also none).
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

/// The hosting label of a database server; own servers win over the cloud patterns.
std::string_view hosting_label(std::string_view server, const conf::hosting_config& config);

}  // namespace tds_pool
