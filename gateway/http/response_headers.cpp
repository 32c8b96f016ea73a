#include "gateway/http/response_headers.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace gateway {

namespace {

/// IMF-fixdate of `t`. fmt names days and months in English whatever the process's
/// locale, as HTTP needs, unless a locale is asked for ("L").
std::string format_http_date(std::time_t t) {
    return fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", fmt::gmtime(t));
}

}  // namespace

std::string_view http_date_now() {
    thread_local std::time_t cached_second = -1;
    thread_local std::string cached_text;
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    if (now != cached_second) {
        cached_second = now;
        cached_text = format_http_date(now);
    }
    return cached_text;
}

void finish_gateway_response(http::response_header<>& header, std::string_view request_id,
                             std::string_view vary) {
    header.set(http::field::server, "tenant-gateway");
    header.set("X-Request-Id", request_id);
    header.set(http::field::date, http_date_now());
    if (header.count(http::field::cache_control) == 0) {
        header.set(http::field::cache_control, "no-store");
    }
    if (!vary.empty()) header.set(http::field::vary, vary);
}

void ensure_date(http::response_header<>& header) {
    if (header.count(http::field::date) == 0) header.set(http::field::date, http_date_now());
}

void set_retry_after(http::response_header<>& header, std::chrono::milliseconds wait) {
    const auto seconds = std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
    header.set(http::field::retry_after, std::to_string(seconds));
}

}  // namespace gateway
