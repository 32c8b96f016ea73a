#pragma once
// The status page served at /dashboard. Its source is gateway/admin/dashboard.html, turned
// into a byte array at build time (dashboard_embed.cmake), so it is edited as plain HTML.

#include <string_view>

namespace gateway {

/// The complete HTML of the status page.
std::string_view dashboard_html() noexcept;

}  // namespace gateway
